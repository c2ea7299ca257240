package dev.nnc.compiler.reference;

import dev.nnc.compiler.ir.Attrs;
import dev.nnc.compiler.ir.ModelIr;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ops.Reference;
import dev.nnc.compiler.ops.Tensors;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The reference interpreter: evaluates IR in f64, node by node, each with its op's plain-loop
 * {@link dev.nnc.compiler.ops.OpDef#reference}. Slow and obviously right; it shares nothing with
 * fusion, scheduling, memory planning or code generation, so tests use it as the oracle for all of
 * them: generated outputs (f32 and f64) against its values, generated gradients against its
 * finite differences.
 */
public final class Interpreter {
    private Interpreter() {
    }

    /**
     * The values of the model's tensors for one batch: feeds and parameters by their .nn names,
     * and which dropout-mask elements are kept.
     */
    public record Env(int batch, Map<String, double[]> inputs, Map<String, double[]> params, MaskRule masks)
            implements Reference {
        @Override
        public double[] input(Node input) {
            return value(inputs, input);
        }

        @Override
        public double[] param(Node param) {
            return value(params, param);
        }

        private double[] value(Map<String, double[]> values, Node n) {
            String name = n.attrs(Attrs.Declared.class).name();
            double[] v = values.get(name);
            if (v == null) throw new IllegalArgumentException("no value for " + n.op().key() + " '" + name + "'");
            int size = Tensors.size(n.shape(), batch);
            if (v.length != size) {
                throw new IllegalArgumentException(name + " has " + v.length + " values, " + n.shape() + " needs " + size);
            }
            return v;
        }

        @Override
        public boolean keep(Node mask, long element) {
            return masks.keep(mask, element);
        }

        /** The same values with one parameter replaced (for finite differences). */
        public Env withParam(String name, double[] values) {
            Map<String, double[]> p = new HashMap<>(params);
            p.put(name, values);
            return new Env(batch, inputs, p, masks);
        }
    }

    /** Which elements of a dropout mask are kept; the generated code draws them from the runtime's Rng. */
    @FunctionalInterface
    public interface MaskRule {
        boolean keep(Node mask, long element);

        /** Every element kept (inference, or models without dropout). */
        MaskRule KEEP_ALL = (mask, element) -> true;
    }

    /** The values of every node the roots depend on, computed in id (topological) order. */
    public static Map<Node, double[]> run(Collection<Node> roots, Reference ctx) {
        Set<Node> needed = new HashSet<>();
        List<Node> stack = new ArrayList<>(roots);
        while (!stack.isEmpty()) {
            Node n = stack.removeLast();
            if (needed.add(n)) stack.addAll(n.inputs());
        }
        List<Node> order = new ArrayList<>(needed);
        order.sort((a, b) -> Integer.compare(a.id(), b.id()));
        Map<Node, double[]> values = new HashMap<>();
        for (Node n : order) {
            double[][] in = new double[n.inputs().size()][];
            for (int i = 0; i < in.length; i++) in[i] = values.get(n.input(i));
            double[] v = n.op().def().reference(n, in, ctx);
            int expected = Tensors.size(n.shape(), ctx.batch());
            if (v.length != expected) {
                throw new IllegalStateException(n.op().key() + " " + n + " gave " + v.length + " values for " + n.shape());
            }
            values.put(n, v);
        }
        return values;
    }

    /** The value of one node. */
    public static double[] value(Node root, Reference ctx) {
        return run(List.of(root), ctx).get(root);
    }

    /** The model's outputs, in order. */
    public static List<double[]> outputs(ModelIr m, Reference ctx) {
        List<Node> roots = m.outputs().stream().map(ModelIr.Output::node).toList();
        Map<Node, double[]> v = run(roots, ctx);
        return roots.stream().map(v::get).toList();
    }

    /** The data loss in training mode (dropout active through {@code ctx}'s masks). */
    public static double trainingLoss(ModelIr m, Reference ctx) {
        return value(m.trainingLoss(), ctx)[0];
    }

    /** The data loss in inference mode. */
    public static double inferenceLoss(ModelIr m, Reference ctx) {
        return value(m.inferenceLoss(), ctx)[0];
    }

    /** The gradient the IR's backward graph computes for each parameter (its .nn name). */
    public static Map<String, double[]> gradients(ModelIr m, Reference ctx) {
        Map<Node, double[]> v = run(m.grads().values(), ctx);
        Map<String, double[]> out = new HashMap<>();
        m.grads().forEach((p, g) -> out.put(p.name(), v.get(g)));
        return out;
    }

    /** Whether the model draws dropout masks in training mode. */
    public static boolean hasDropout(ModelIr m) {
        return m.graph().nodes().stream().anyMatch(n -> n.op() == Op.DROPOUT_MASK);
    }
}
