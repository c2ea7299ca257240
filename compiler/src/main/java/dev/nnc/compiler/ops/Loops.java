package dev.nnc.compiler.ops;

import dev.nnc.compiler.autodiff.Vjp;
import dev.nnc.compiler.ir.Attrs;
import dev.nnc.compiler.ir.Body;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import dev.nnc.compiler.ir.ShapeException;
import dev.nnc.compiler.reference.Interpreter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Recurrence along a sequence axis: {@code LOOP} runs its {@link Body} once per step, carrying
 * state; its vector-Jacobian rule builds {@code LOOP_GRAD}, one reverse loop (backpropagation
 * through time) whose body autodiff derives from the forward body. The reverse step recomputes
 * the forward step from the states the forward loop saved (its stacked output), so nothing but
 * those is kept between the passes. Never unrolled: the generated code is one Java loop over t.
 *
 * <p>For now a loop carries exactly one state, which is also its one per-step output (an Elman
 * RNN's h); LSTM and GRU will stack two.
 */
public final class Loops {
    private Loops() {
    }

    static int rest(Shape step, int batch) {
        return Tensors.size(step, batch) / Math.max(1, Tensors.dims(step, batch)[0]);
    }

    /** Step t of a sequence [N, T, rest] as [N, rest]. */
    static double[] slice(double[] seq, int n, int steps, int rest, int t) {
        double[] r = new double[n * rest];
        for (int i = 0; i < n; i++) System.arraycopy(seq, (i * steps + t) * rest, r, i * rest, rest);
        return r;
    }

    static void put(double[] seq, double[] step, int n, int steps, int rest, int t) {
        for (int i = 0; i < n; i++) System.arraycopy(step, i * rest, seq, (i * steps + t) * rest, rest);
    }

    /** The values of {@code outs} of one step of a body, its placeholders bound to {@code bound}. */
    static List<double[]> step(Body body, Map<Node, double[]> bound, List<Node> outs, Reference outer) {
        Reference ctx = new Reference() {
            @Override
            public int batch() {
                return outer.batch();
            }

            @Override
            public double[] input(Node input) {
                double[] v = bound.get(input);
                if (v == null) throw new IllegalStateException("unbound loop placeholder " + input);
                return v;
            }

            @Override
            public double[] param(Node param) {
                throw new IllegalStateException("a loop body reads parameters as invariants");
            }

            @Override
            public boolean keep(Node mask, long element) {
                return outer.keep(mask, element);
            }
        };
        Map<Node, double[]> v = Interpreter.run(outs, ctx);
        return outs.stream().map(v::get).toList();
    }

    /** Checks the outer inputs against the body's placeholders. */
    static void checkInputs(List<Node> inputs, List<Node> expected, String what) {
        if (inputs.size() != expected.size()) {
            throw new ShapeException(what + " takes " + expected.size() + " inputs, got " + inputs.size());
        }
        for (int i = 0; i < inputs.size(); i++) {
            if (!inputs.get(i).shape().equals(expected.get(i).shape())) {
                throw new ShapeException(what + " input " + i + " is " + inputs.get(i).shape() + ", expected "
                        + expected.get(i).shape());
            }
        }
    }

    /** The outer shapes a LOOP takes: the sequences stacked, the states, the invariants. */
    static List<Node> loopPlaceholders(Body body) {
        List<Node> all = new ArrayList<>(body.xs());
        all.addAll(body.states());
        all.addAll(body.invariants());
        return all;
    }

    /** Floating-point operations of all steps of a body. */
    static long bodyFlops(Body body, int batch) {
        long f = 0;
        for (Node n : body.graph().nodes()) f += n.op().def().flops(n, batch);
        return f * body.steps();
    }

    /** The recurrence: y_t = state_t = body(x_t, state_{t-1}, invariants), stacked to [N, T, ...]. */
    public static final class Loop extends OpDef {
        @Override
        public Op.Family family() {
            return Op.Family.LOOP;
        }

        @Override
        public Class<Attrs.Loop> attrs() {
            return Attrs.Loop.class;
        }

        @Override
        public Shape shape(List<Node> inputs, Attrs a) {
            Body body = ((Attrs.Loop) a).body();
            if (body.states().size() != 1 || body.ys().size() != 1 || body.ys().getFirst() != body.next().getFirst()) {
                throw new ShapeException("a loop carries one state, which is also its output");
            }
            List<Shape> expected = new ArrayList<>();
            for (Node x : body.xs()) expected.add(body.stacked(x.shape()));
            for (Node s : body.states()) expected.add(s.shape());
            for (Node inv : body.invariants()) expected.add(inv.shape());
            if (inputs.size() != expected.size()) throw new ShapeException("loop takes " + expected.size() + " inputs");
            for (int i = 0; i < expected.size(); i++) {
                if (!inputs.get(i).shape().equals(expected.get(i))) {
                    throw new ShapeException("loop input " + i + " is " + inputs.get(i).shape() + ", expected "
                            + expected.get(i));
                }
            }
            return body.stacked(body.ys().getFirst().shape());
        }

        /**
         * The reverse loop: per step t (from T-1 down to 0), recompute the step from x_t and the
         * saved state of t-1, add the carried gradient to G's step t, take the body's
         * vector-Jacobian product, stack the sequences' gradients, carry the state's gradient to
         * t-1 and sum the invariants'.
         */
        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            Body fwd = y.attrs(Attrs.Loop.class).body();
            Graph bg = new Graph();
            List<Node> xs = new ArrayList<>();
            for (int i = 0; i < fwd.xs().size(); i++) xs.add(bg.input("x" + i, fwd.xs().get(i).shape(), Node.Type.FLOAT));
            Shape state = fwd.states().getFirst().shape();
            Node prev = bg.input("state_prev", state, Node.Type.FLOAT);
            Node gt = bg.input("g", state, Node.Type.FLOAT);
            Node dh = bg.input("d_state", state, Node.Type.FLOAT);
            List<Node> invs = new ArrayList<>();
            List<Node> accs = new ArrayList<>();
            for (int i = 0; i < fwd.invariants().size(); i++) {
                Shape s = fwd.invariants().get(i).shape();
                invs.add(bg.input("inv" + i, s, Node.Type.FLOAT));
                accs.add(bg.input("d_inv" + i, s, Node.Type.FLOAT));
            }
            Map<Node, Node> map = new HashMap<>();
            for (int i = 0; i < xs.size(); i++) map.put(fwd.xs().get(i), xs.get(i));
            map.put(fwd.states().getFirst(), prev);
            for (int i = 0; i < invs.size(); i++) map.put(fwd.invariants().get(i), invs.get(i));
            for (Node n : fwd.graph().nodes()) {
                if (map.containsKey(n)) continue;
                List<Node> ins = n.inputs().stream().map(map::get).toList();
                map.put(n, bg.rebuild(n, ins));
            }
            Node total = bg.binary(Op.ADD, gt, dh);
            Map<Node, Node> grads = Vjp.run(bg, List.of(map.get(fwd.next().getFirst())), List.of(total));
            List<Node> dxs = new ArrayList<>();
            for (Node x : xs) dxs.add(orZeros(bg, grads.get(x), x.shape()));
            List<Node> next = new ArrayList<>();
            next.add(orZeros(bg, grads.get(prev), state));
            for (int i = 0; i < invs.size(); i++) {
                Node d = grads.get(invs.get(i));
                next.add(d == null ? accs.get(i) : bg.binary(Op.ADD, accs.get(i), d));
            }
            List<Node> bxs = new ArrayList<>(xs);
            bxs.add(prev);
            bxs.add(gt);
            List<Node> bstates = new ArrayList<>();
            bstates.add(dh);
            bstates.addAll(accs);
            Body back = new Body(bg, bxs, bstates, invs, next, dxs, fwd.steps());
            List<Shape> outs = new ArrayList<>();
            for (Node x : fwd.xs()) outs.add(fwd.stacked(x.shape()));
            outs.add(state);
            for (Node inv : fwd.invariants()) outs.add(inv.shape());
            List<Node> ins = new ArrayList<>();
            int s = fwd.xs().size();
            for (int i = 0; i < s; i++) ins.add(y.input(i));
            ins.add(y);
            ins.add(g);
            for (int i = s; i < y.inputs().size(); i++) ins.add(y.input(i));
            Node lg = b.node(Op.LOOP_GRAD, new Attrs.LoopGrad(fwd, back, outs), ins.toArray(Node[]::new));
            Node[] dx = new Node[y.inputs().size()];
            for (int i = 0; i < dx.length; i++) dx[i] = i == 0 ? lg : b.node(Op.LOOP_OUT, new Attrs.Part(i), lg);
            return dx;
        }

        private static Node orZeros(Graph g, Node n, Shape shape) {
            return n != null ? n : g.broadcastTo(g.constant(0), shape);
        }

        @Override
        public List<String> templateKeys() {
            return List.of(); // a Java loop over t around the body's kernels
        }

        @Override
        public long flops(Node n, int batch) {
            return bodyFlops(n.attrs(Attrs.Loop.class).body(), batch);
        }

        @Override
        public double[] reference(Node n, double[][] in, Reference ctx) {
            Body body = n.attrs(Attrs.Loop.class).body();
            int batch = ctx.batch();
            int steps = body.steps();
            int xn = body.xs().size();
            Map<Node, double[]> bound = new HashMap<>();
            for (int i = 0; i < body.invariants().size(); i++) bound.put(body.invariants().get(i), in[xn + 1 + i]);
            double[] state = in[xn];
            Shape stateShape = body.states().getFirst().shape();
            int rest = rest(stateShape, batch);
            double[] out = new double[batch * steps * rest];
            for (int t = 0; t < steps; t++) {
                for (int i = 0; i < xn; i++) {
                    Node x = body.xs().get(i);
                    bound.put(x, slice(in[i], batch, steps, rest(x.shape(), batch), t));
                }
                bound.put(body.states().getFirst(), state);
                state = step(body, bound, body.next(), ctx).getFirst();
                put(out, state, batch, steps, rest, t);
            }
            return out;
        }
    }

    /**
     * Backpropagation through time of a LOOP, as one reverse loop; its own value is the first
     * sequence's gradient, {@code LOOP_OUT} gives the others.
     */
    public static final class LoopGrad extends OpDef {
        @Override
        public Op.Family family() {
            return Op.Family.LOOP;
        }

        @Override
        public Class<Attrs.LoopGrad> attrs() {
            return Attrs.LoopGrad.class;
        }

        @Override
        public Shape shape(List<Node> inputs, Attrs a) {
            Attrs.LoopGrad lg = (Attrs.LoopGrad) a;
            Body fwd = lg.forward();
            int expected = fwd.xs().size() + 2 + fwd.states().size() + fwd.invariants().size();
            if (inputs.size() != expected) throw new ShapeException("loop gradient takes " + expected + " inputs");
            return lg.outputs().getFirst();
        }

        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return null; // a gradient: never differentiated again
        }

        @Override
        public List<String> templateKeys() {
            return List.of();
        }

        @Override
        public long flops(Node n, int batch) {
            return bodyFlops(n.attrs(Attrs.LoopGrad.class).backward(), batch);
        }

        @Override
        public double[] reference(Node n, double[][] in, Reference ctx) {
            return outputs(n, in, ctx).getFirst();
        }

        /** Every result of the reverse loop: the sequences' gradients, the initial state's, the invariants'. */
        static List<double[]> outputs(Node n, double[][] in, Reference ctx) {
            Attrs.LoopGrad a = n.attrs(Attrs.LoopGrad.class);
            Body fwd = a.forward();
            Body back = a.backward();
            int batch = ctx.batch();
            int steps = fwd.steps();
            int xn = fwd.xs().size();
            double[] ys = in[xn];
            double[] gs = in[xn + 1];
            double[] init = in[xn + 2];
            int invAt = xn + 3;
            Shape stateShape = fwd.states().getFirst().shape();
            int rest = rest(stateShape, batch);
            List<double[]> dSeq = new ArrayList<>();
            for (int i = 0; i < xn; i++) dSeq.add(new double[in[i].length]);
            Map<Node, double[]> bound = new HashMap<>();
            for (int i = 0; i < back.invariants().size(); i++) bound.put(back.invariants().get(i), in[invAt + i]);
            List<double[]> carried = new ArrayList<>();
            for (Node s : back.states()) carried.add(new double[Tensors.size(s.shape(), batch)]);
            for (int t = steps - 1; t >= 0; t--) {
                for (int i = 0; i < xn; i++) {
                    bound.put(back.xs().get(i), slice(in[i], batch, steps, rest(fwd.xs().get(i).shape(), batch), t));
                }
                bound.put(back.xs().get(xn), t == 0 ? init : slice(ys, batch, steps, rest, t - 1));
                bound.put(back.xs().get(xn + 1), slice(gs, batch, steps, rest, t));
                for (int i = 0; i < back.states().size(); i++) bound.put(back.states().get(i), carried.get(i));
                List<Node> outs = new ArrayList<>(back.next());
                outs.addAll(back.ys());
                List<double[]> v = step(back, bound, outs, ctx);
                for (int i = 0; i < back.states().size(); i++) carried.set(i, v.get(i));
                for (int i = 0; i < xn; i++) {
                    put(dSeq.get(i), v.get(back.states().size() + i), batch, steps, rest(fwd.xs().get(i).shape(), batch), t);
                }
            }
            List<double[]> all = new ArrayList<>(dSeq);
            all.addAll(carried); // the initial state's gradient, then the invariants' sums
            return all;
        }
    }

    /** Result {@code index} of a LOOP_GRAD (computed by the same reverse loop). */
    public static final class LoopOut extends OpDef {
        @Override
        public Op.Family family() {
            return Op.Family.LOOP;
        }

        @Override
        public Class<Attrs.Part> attrs() {
            return Attrs.Part.class;
        }

        @Override
        public Shape shape(List<Node> inputs, Attrs a) {
            Node producer = inputs.getFirst();
            if (producer.op() != Op.LOOP_GRAD) throw new ShapeException("loop_out reads a loop gradient");
            return producer.attrs(Attrs.LoopGrad.class).outputs().get(((Attrs.Part) a).index());
        }

        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return null;
        }

        @Override
        public List<String> templateKeys() {
            return List.of();
        }

        @Override
        public long flops(Node n, int batch) {
            return 0; // its producer's loop computes it
        }

        @Override
        public double[] reference(Node n, double[][] in, Reference ctx) {
            Node lg = n.input(0);
            double[][] lgIn = new double[lg.inputs().size()][];
            Map<Node, double[]> v = Interpreter.run(lg.inputs(), ctx);
            for (int i = 0; i < lgIn.length; i++) lgIn[i] = v.get(lg.input(i));
            return LoopGrad.outputs(lg, lgIn, ctx).get(n.attrs(Attrs.Part.class).index());
        }
    }

    /** What the two step ops share: a whole kernel from a skeleton, rows counted in samples, no arithmetic. */
    abstract static class StepOp extends OpDef {
        @Override
        public final Op.Family family() {
            return Op.Family.ROWWISE;
        }

        @Override
        public final Class<Attrs.Step> attrs() {
            return Attrs.Step.class;
        }

        @Override
        public final List<String> templateKeys() {
            return List.of(key());
        }

        @Override
        public final List<String> templateOperands() {
            return List.of("x");
        }

        @Override
        public final boolean rowsAreSamples() {
            return true;
        }

        @Override
        public final long flops(Node n, int batch) {
            return 0;
        }
    }

    /** Step t of a sequence [N, T, ...] as [N, ...] (an RNN's last state). */
    public static final class TakeStep extends StepOp {

        @Override
        public Shape shape(List<Node> inputs, Attrs a) {
            Shape x = inputs.getFirst().shape();
            Attrs.Step s = (Attrs.Step) a;
            if (x.rank() < 3 || x.dim(1) != s.steps() || s.t() < 0 || s.t() >= s.steps()) {
                throw new ShapeException("step " + s.t() + " of " + x);
            }
            return Body.step(x);
        }

        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return new Node[] {b.node(Op.PUT_STEP, y.attrs(), g)}; // g at step t, zeros elsewhere
        }


        @Override
        public Map<String, String> templateVars(Node n) {
            Attrs.Step s = n.attrs(Attrs.Step.class);
            return Map.of("t", Integer.toString(s.t()), "steps", Integer.toString(s.steps()),
                    "rest", Integer.toString(n.shape().staticSize()));
        }

        @Override
        public double[] reference(Node n, double[][] in, Reference ctx) {
            Attrs.Step s = n.attrs(Attrs.Step.class);
            return slice(in[0], ctx.batch(), s.steps(), n.shape().staticSize(), s.t());
        }
    }

    /** A step [N, ...] placed at t of a zero sequence [N, T, ...]: the adjoint of TAKE_STEP. */
    public static final class PutStep extends StepOp {

        @Override
        public Shape shape(List<Node> inputs, Attrs a) {
            Shape x = inputs.getFirst().shape();
            Attrs.Step s = (Attrs.Step) a;
            int[] d = x.dims();
            int[] out = new int[d.length + 1];
            out[0] = d[0];
            out[1] = s.steps();
            System.arraycopy(d, 1, out, 2, d.length - 1);
            return new Shape(out);
        }

        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return new Node[] {b.node(Op.TAKE_STEP, y.attrs(), g)};
        }


        @Override
        public Map<String, String> templateVars(Node n) {
            Attrs.Step s = n.attrs(Attrs.Step.class);
            return Map.of("t", Integer.toString(s.t()), "steps", Integer.toString(s.steps()),
                    "rest", Integer.toString(n.input(0).shape().staticSize()));
        }

        @Override
        public double[] reference(Node n, double[][] in, Reference ctx) {
            Attrs.Step s = n.attrs(Attrs.Step.class);
            int rest = n.input(0).shape().staticSize();
            double[] out = new double[ctx.batch() * s.steps() * rest];
            put(out, in[0], ctx.batch(), s.steps(), rest, s.t());
            return out;
        }
    }
}
