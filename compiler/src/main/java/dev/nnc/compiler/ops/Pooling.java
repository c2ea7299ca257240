package dev.nnc.compiler.ops;

import dev.nnc.compiler.ir.Attrs;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import dev.nnc.compiler.ir.ShapeException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pooling over the spatial axes of NCHW tensors, and its gradients: window ops, each one loop
 * skeleton ({@code jvm/<op>.tmpl}) over the (sample, channel) planes. Max pooling ignores padding
 * (as if it were -∞) and sends the gradient to the first maximum of each window in row-major
 * order; average pooling divides by the whole window, padding included (PyTorch's default).
 */
public final class Pooling {
    private Pooling() {
    }

    /** The output [N, C, OH, OW] of pooling x [N, C, H, W]; a ShapeException when the window does not fit. */
    public static Shape outShape(Shape x, Attrs.Pool p, String what) {
        if (x.rank() != 4) throw new ShapeException(what + " needs a 4-D input [N, C, H, W], got " + x);
        if (2 * p.padH() > p.sizeH() || 2 * p.padW() > p.sizeW()) {
            throw new ShapeException("padding " + p.padH() + "x" + p.padW() + " is more than half the window "
                    + p.sizeH() + "x" + p.sizeW());
        }
        int oh = Attrs.Conv.out(x.dim(2), p.sizeH(), p.strideH(), p.padH(), p.padH(), 1);
        int ow = Attrs.Conv.out(x.dim(3), p.sizeW(), p.strideW(), p.padW(), p.padW(), 1);
        if (oh <= 0 || ow <= 0) {
            throw new ShapeException("a " + p.sizeH() + "x" + p.sizeW() + " window does not fit the padded input "
                    + (x.dim(2) + 2 * p.padH()) + "x" + (x.dim(3) + 2 * p.padW()));
        }
        return Shape.of(x.dim(0), x.dim(1), oh, ow);
    }

    /** What the pools share: the window family, one skeleton each, the geometry as template variables. */
    abstract static class PoolOp extends OpDef {
        @Override
        public final Op.Family family() {
            return Op.Family.WINDOW;
        }

        @Override
        public final List<String> templateKeys() {
            return List.of(key());
        }

        /** The pool's attributes. */
        abstract Attrs.Pool pool(Node n);

        /** The pooled input's shape [N, C, H, W]. */
        abstract Shape input(Node n);

        @Override
        public final Map<String, String> templateVars(Node n) {
            Attrs.Pool p = pool(n);
            Shape x = input(n);
            Shape y = outShape(x, p, key());
            Map<String, String> v = new LinkedHashMap<>();
            v.put("planes", Integer.toString(x.dim(1)));
            v.put("h", Integer.toString(x.dim(2)));
            v.put("w", Integer.toString(x.dim(3)));
            v.put("oh", Integer.toString(y.dim(2)));
            v.put("ow", Integer.toString(y.dim(3)));
            v.put("area", Integer.toString(p.sizeH() * p.sizeW()));
            // the window's first row and its rows inside the input, for output row i (columns: j);
            // without padding a window always lies inside, so the bounds are plain numbers
            v.put("top", offset("i", p.strideH(), p.padH()));
            v.put("left", offset("j", p.strideW(), p.padW()));
            v.put("wyFrom", p.padH() == 0 ? "0" : "Math.max(0, " + p.padH() + " - " + scaled("i", p.strideH()) + ")");
            v.put("wxFrom", p.padW() == 0 ? "0" : "Math.max(0, " + p.padW() + " - " + scaled("j", p.strideW()) + ")");
            v.put("wyTo", (y.dim(2) - 1) * p.strideH() - p.padH() + p.sizeH() <= x.dim(2) ? Integer.toString(p.sizeH())
                    : "Math.min(" + p.sizeH() + ", " + (x.dim(2) + p.padH()) + " - " + scaled("i", p.strideH()) + ")");
            v.put("wxTo", (y.dim(3) - 1) * p.strideW() - p.padW() + p.sizeW() <= x.dim(3) ? Integer.toString(p.sizeW())
                    : "Math.min(" + p.sizeW() + ", " + (x.dim(3) + p.padW()) + " - " + scaled("j", p.strideW()) + ")");
            return v;
        }

        /** {@code i * 2}, or {@code i} for a stride of 1. */
        private static String scaled(String index, int stride) {
            return stride == 1 ? index : index + " * " + stride;
        }

        /** {@code i * 2 - 1}: where output index {@code index}'s window starts in the input. */
        private static String offset(String index, int stride, int pad) {
            return scaled(index, stride) + (pad == 0 ? "" : " - " + pad);
        }

        @Override
        public final long flops(Node n, int batch) {
            Attrs.Pool p = pool(n);
            Shape y = outShape(input(n), p, key());
            return size(y, batch) * p.sizeH() * p.sizeW();
        }

        /**
         * Visits every window of the pooling of x (dims xd): the flat index of its output, and the
         * flat indices of the input positions inside the padded bounds, in row-major order.
         */
        static void forEachWindow(int[] xd, int[] yd, Attrs.Pool p, Window window) {
            int[] at = new int[p.sizeH() * p.sizeW()];
            for (int plane = 0; plane < xd[0] * xd[1]; plane++) {
                for (int i = 0; i < yd[2]; i++) {
                    for (int j = 0; j < yd[3]; j++) {
                        int count = 0;
                        for (int a = 0; a < p.sizeH(); a++) {
                            int h = i * p.strideH() - p.padH() + a;
                            if (h < 0 || h >= xd[2]) continue;
                            for (int b = 0; b < p.sizeW(); b++) {
                                int w = j * p.strideW() - p.padW() + b;
                                if (w >= 0 && w < xd[3]) at[count++] = (plane * xd[2] + h) * xd[3] + w;
                            }
                        }
                        window.visit((plane * yd[2] + i) * yd[3] + j, at, count);
                    }
                }
            }
        }

        @FunctionalInterface
        interface Window {
            void visit(int out, int[] in, int count);
        }
    }

    /** A pool itself (not its gradient): input x [N, C, H, W], the Pool attributes. */
    abstract static class ForwardPool extends PoolOp {
        @Override
        public final Class<Attrs.Pool> attrs() {
            return Attrs.Pool.class;
        }

        @Override
        final Attrs.Pool pool(Node n) {
            return n.attrs(Attrs.Pool.class);
        }

        @Override
        final Shape input(Node n) {
            return n.input(0).shape();
        }

        @Override
        public final Shape shape(List<Node> inputs, Attrs a) {
            return outShape(inputs.getFirst().shape(), (Attrs.Pool) a, key());
        }

        /** A sample's windows lie in that sample's planes: the pool can follow its producer per chunk. */
        @Override
        public final boolean fusesPerSample() {
            return true;
        }
    }

    /** The largest value of each window. */
    public static final class MaxPool extends ForwardPool {

        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return new Node[] {b.node(Op.MAX_POOL_GRAD, y.attrs(), y.input(0), g)}; // g to each window's first maximum
        }

        @Override
        public List<String> templateOperands() {
            return List.of("x");
        }

        @Override
        public double[] reference(Node n, double[][] in, Reference ctx) {
            int[] xd = Tensors.dims(n.input(0).shape(), ctx.batch());
            int[] yd = Tensors.dims(n.shape(), ctx.batch());
            double[] y = new double[yd[0] * yd[1] * yd[2] * yd[3]];
            forEachWindow(xd, yd, pool(n), (o, at, count) -> {
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < count; k++) max = Math.max(max, in[0][at[k]]);
                y[o] = max;
            });
            return y;
        }
    }

    /** dx of MAX_POOL, inputs (x, g): each g to the first position in its window that holds the maximum. */
    public static final class MaxPoolGrad extends PoolOp {
        @Override
        public Class<Attrs.Pool> attrs() {
            return Attrs.Pool.class;
        }

        @Override
        Attrs.Pool pool(Node n) {
            return n.attrs(Attrs.Pool.class);
        }

        @Override
        Shape input(Node n) {
            return n.input(0).shape();
        }

        @Override
        public Shape shape(List<Node> inputs, Attrs a) {
            Shape y = outShape(inputs.get(0).shape(), (Attrs.Pool) a, "max_pool");
            if (!y.equals(inputs.get(1).shape())) throw new ShapeException("max_pool gradient of " + inputs.get(1).shape());
            return inputs.get(0).shape();
        }

        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return null; // a gradient: never differentiated again
        }

        @Override
        public List<String> templateOperands() {
            return List.of("x", "dy");
        }

        @Override
        public double[] reference(Node n, double[][] in, Reference ctx) {
            int[] xd = Tensors.dims(n.input(0).shape(), ctx.batch());
            int[] yd = Tensors.dims(n.input(1).shape(), ctx.batch());
            double[] dx = new double[in[0].length];
            forEachWindow(xd, yd, pool(n), (o, at, count) -> {
                int best = at[0];
                for (int k = 1; k < count; k++) if (in[0][at[k]] > in[0][best]) best = at[k];
                dx[best] += in[1][o];
            });
            return dx;
        }
    }

    /** The mean of each window, padding counted as zeros. */
    public static final class AvgPool extends ForwardPool {

        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            Attrs.Pool p = y.attrs(Attrs.Pool.class);
            return new Node[] {b.node(Op.AVG_POOL_GRAD, new Attrs.PoolGrad(p, y.input(0).shape()), g)}; // g/area to each position
        }

        @Override
        public List<String> templateOperands() {
            return List.of("x");
        }

        @Override
        public double[] reference(Node n, double[][] in, Reference ctx) {
            int[] xd = Tensors.dims(n.input(0).shape(), ctx.batch());
            int[] yd = Tensors.dims(n.shape(), ctx.batch());
            Attrs.Pool p = pool(n);
            double[] y = new double[yd[0] * yd[1] * yd[2] * yd[3]];
            forEachWindow(xd, yd, p, (o, at, count) -> {
                double s = 0;
                for (int k = 0; k < count; k++) s += in[0][at[k]];
                y[o] = s / (p.sizeH() * p.sizeW());
            });
            return y;
        }
    }

    /** dx of AVG_POOL, input g: each g divided by the window's area, to every position of the window. */
    public static final class AvgPoolGrad extends PoolOp {
        @Override
        public Class<Attrs.PoolGrad> attrs() {
            return Attrs.PoolGrad.class;
        }

        @Override
        Attrs.Pool pool(Node n) {
            return n.attrs(Attrs.PoolGrad.class).pool();
        }

        @Override
        Shape input(Node n) {
            return n.attrs(Attrs.PoolGrad.class).shape();
        }

        @Override
        public Shape shape(List<Node> inputs, Attrs a) {
            Attrs.PoolGrad pg = (Attrs.PoolGrad) a;
            Shape y = outShape(pg.shape(), pg.pool(), "avg_pool");
            if (!y.equals(inputs.get(0).shape())) throw new ShapeException("avg_pool gradient of " + inputs.get(0).shape());
            return pg.shape();
        }

        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return null; // a gradient: never differentiated again
        }

        @Override
        public List<String> templateOperands() {
            return List.of("dy");
        }

        @Override
        public double[] reference(Node n, double[][] in, Reference ctx) {
            int[] xd = Tensors.dims(n.shape(), ctx.batch());
            int[] yd = Tensors.dims(n.input(0).shape(), ctx.batch());
            Attrs.Pool p = pool(n);
            double[] dx = new double[xd[0] * xd[1] * xd[2] * xd[3]];
            forEachWindow(xd, yd, p, (o, at, count) -> {
                for (int k = 0; k < count; k++) dx[at[k]] += in[0][o] / (p.sizeH() * p.sizeW());
            });
            return dx;
        }
    }
}
