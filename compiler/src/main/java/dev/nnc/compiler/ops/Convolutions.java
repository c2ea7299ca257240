package dev.nnc.compiler.ops;

import dev.nnc.compiler.ir.Attrs;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import dev.nnc.compiler.ir.ShapeException;
import java.util.List;

/**
 * 2-D convolution on NCHW tensors, weight {@code [O, C, KH, KW]} (PyTorch's layout), and its two
 * gradients. All three run through the runtime's {@code Conv}: im2col into scratch, then the
 * packed GEMM. Fusion treats them as products: bias and activation join as the epilogue.
 */
public final class Convolutions {
    private Convolutions() {
    }

    /** The four dimensions of a rank-4 shape, N replaced by {@code batch}. */
    static int[] nchw(Shape s, int batch) {
        return Tensors.dims(s, batch);
    }

    static void rank4(Shape s, String what) {
        if (s.rank() != 4) throw new ShapeException(what + " must be 4-D [N, C, H, W], got " + s);
    }

    /** The output [N, O, OH, OW] of x [N, C, H, W] convolved with w [O, C, KH, KW]; a ShapeException when it does not fit. */
    public static Shape outShape(Shape x, Shape w, Attrs.Conv a) {
        rank4(x, "the input of conv2d");
        if (w.rank() != 4 || w.batched()) throw new ShapeException("the weight of conv2d must be [O, C, KH, KW], got " + w);
        if (x.dim(1) == Shape.BATCH || x.dim(2) == Shape.BATCH || x.dim(3) == Shape.BATCH) {
            throw new ShapeException("conv2d needs N first in [N, C, H, W], got " + x);
        }
        if (x.dim(1) != w.dim(1)) {
            throw new ShapeException("the input has " + x.dim(1) + " channels, the weight expects " + w.dim(1));
        }
        int oh = Attrs.Conv.out(x.dim(2), w.dim(2), a.strideH(), a.padTop(), a.padBottom(), a.dilationH());
        int ow = Attrs.Conv.out(x.dim(3), w.dim(3), a.strideW(), a.padLeft(), a.padRight(), a.dilationW());
        if (oh <= 0 || ow <= 0) {
            throw new ShapeException("a " + w.dim(2) + "x" + w.dim(3) + " kernel" + (a.dilationH() > 1 || a.dilationW() > 1
                    ? " with dilation " + a.dilationH() + "x" + a.dilationW() : "") + " is larger than the padded input "
                    + (x.dim(2) + a.padTop() + a.padBottom()) + "x" + (x.dim(3) + a.padLeft() + a.padRight()));
        }
        return Shape.of(x.dim(0), w.dim(0), oh, ow);
    }

    static long macs(Shape x, Shape w, Shape y, int batch) {
        int[] yd = nchw(y, batch);
        return (long) yd[0] * yd[1] * yd[2] * yd[3] * x.dim(1) * w.dim(2) * w.dim(3);
    }

    /** What the three share: a product family, no template (a runtime call), direct loops as reference. */
    abstract static class ConvOp extends OpDef {
        /** The input [N, C, H, W], weight [O, C, KH, KW] and output [N, O, OH, OW] shapes of the convolution. */
        abstract Shape[] xwy(Node n);

        /** The three passes do the same multiply-adds: one per (output element, tap). */
        @Override
        public final long flops(Node n, int batch) {
            Shape[] s = xwy(n);
            return 2 * macs(s[0], s[1], s[2], batch);
        }

        /**
         * One im2col matrix {@code [C·KH·KW, OH·OW]} per sample, and for the weight gradient the
         * sample's partial product {@code [O, C·KH·KW]} too (the same as runtime {@code Conv.workPerSample}:
         * the compiler does not depend on the runtime).
         */
        @Override
        public long workPerRow(Node n) {
            Shape[] s = xwy(n);
            long ckk = (long) s[1].dim(1) * s[1].dim(2) * s[1].dim(3);
            long cols = ckk * s[2].dim(2) * s[2].dim(3);
            return n.op() == Op.CONV2D_WEIGHT_GRAD ? cols + s[1].dim(0) * ckk : cols;
        }

        @Override
        public final Op.Family family() {
            return Op.Family.GEMM;
        }

        @Override
        public final List<String> templateKeys() {
            return List.of();
        }

        /**
         * Visits every (output element, input element, weight element) triple of the convolution
         * of x (dims xd) with w (dims wd) giving y (dims yd): flat indices, in a fixed order.
         */
        static void forEachTap(int[] xd, int[] wd, int[] yd, Attrs.Conv a, Tap tap) {
            for (int n = 0; n < yd[0]; n++) {
                for (int o = 0; o < yd[1]; o++) {
                    for (int i = 0; i < yd[2]; i++) {
                        for (int j = 0; j < yd[3]; j++) {
                            int yi = ((n * yd[1] + o) * yd[2] + i) * yd[3] + j;
                            for (int c = 0; c < xd[1]; c++) {
                                for (int p = 0; p < wd[2]; p++) {
                                    int h = i * a.strideH() - a.padTop() + p * a.dilationH();
                                    if (h < 0 || h >= xd[2]) continue;
                                    for (int q = 0; q < wd[3]; q++) {
                                        int w = j * a.strideW() - a.padLeft() + q * a.dilationW();
                                        if (w < 0 || w >= xd[3]) continue;
                                        int xi = ((n * xd[1] + c) * xd[2] + h) * xd[3] + w;
                                        int wi = ((o * wd[1] + c) * wd[2] + p) * wd[3] + q;
                                        tap.at(yi, xi, wi);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        @FunctionalInterface
        interface Tap {
            void at(int y, int x, int w);
        }
    }

    /** y[n, o, i, j] = Σ x[n, c, i·s - pad + p·d, j·s - pad + q·d] · w[o, c, p, q], zero outside the input. */
    public static final class Conv2d extends ConvOp {
        @Override
        Shape[] xwy(Node n) {
            return new Shape[] {n.input(0).shape(), n.input(1).shape(), n.shape()};
        }

        @Override
        public Class<Attrs.Conv> attrs() {
            return Attrs.Conv.class;
        }

        @Override
        public Shape shape(List<Node> inputs, Attrs a) {
            return outShape(inputs.get(0).shape(), inputs.get(1).shape(), (Attrs.Conv) a);
        }

        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            Attrs.Conv a = y.attrs(Attrs.Conv.class);
            Node x = y.input(0);
            Node w = y.input(1);
            return new Node[] {                                                    // dx = g ⋆ᵀ w (a transposed convolution)
                b.node(Op.CONV2D_INPUT_GRAD, new Attrs.ConvGrad(a, x.shape()), g, w),
                b.node(Op.CONV2D_WEIGHT_GRAD, new Attrs.ConvGrad(a, w.shape()), x, g)}; // dw = Σ_n g ⋆ x
        }

        @Override
        public double[] reference(Node n, double[][] in, Reference ctx) {
            int[] xd = nchw(n.input(0).shape(), ctx.batch());
            int[] wd = nchw(n.input(1).shape(), ctx.batch());
            int[] yd = nchw(n.shape(), ctx.batch());
            double[] y = new double[yd[0] * yd[1] * yd[2] * yd[3]];
            forEachTap(xd, wd, yd, n.attrs(Attrs.Conv.class), (yi, xi, wi) -> y[yi] += in[0][xi] * in[1][wi]);
            return y;
        }
    }

    /** dx for CONV2D: every output gradient g[n, o, i, j] spread back over the inputs its window read. Inputs (g, w). */
    public static final class Conv2dInputGrad extends ConvOp {
        @Override
        Shape[] xwy(Node n) {
            return new Shape[] {n.shape(), n.input(1).shape(), n.input(0).shape()};
        }

        @Override
        public Class<Attrs.ConvGrad> attrs() {
            return Attrs.ConvGrad.class;
        }

        @Override
        public Shape shape(List<Node> inputs, Attrs attrs) {
            Attrs.ConvGrad a = (Attrs.ConvGrad) attrs;
            Shape y = outShape(a.shape(), inputs.get(1).shape(), a.conv());
            if (!y.equals(inputs.get(0).shape())) {
                throw new ShapeException("conv2d input gradient: " + inputs.get(0).shape() + " is not the output " + y);
            }
            return a.shape();
        }

        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return null; // a gradient: never differentiated again
        }

        @Override
        public double[] reference(Node n, double[][] in, Reference ctx) {
            int[] xd = nchw(n.shape(), ctx.batch());
            int[] wd = nchw(n.input(1).shape(), ctx.batch());
            int[] yd = nchw(n.input(0).shape(), ctx.batch());
            double[] dx = new double[xd[0] * xd[1] * xd[2] * xd[3]];
            forEachTap(xd, wd, yd, n.attrs(Attrs.ConvGrad.class).conv(), (yi, xi, wi) -> dx[xi] += in[0][yi] * in[1][wi]);
            return dx;
        }
    }

    /** dw for CONV2D: Σ over the batch and the output positions of g · the input under the window. Inputs (x, g). */
    public static final class Conv2dWeightGrad extends ConvOp {
        @Override
        Shape[] xwy(Node n) {
            return new Shape[] {n.input(0).shape(), n.shape(), n.input(1).shape()};
        }

        @Override
        public Class<Attrs.ConvGrad> attrs() {
            return Attrs.ConvGrad.class;
        }

        @Override
        public Shape shape(List<Node> inputs, Attrs attrs) {
            Attrs.ConvGrad a = (Attrs.ConvGrad) attrs;
            Shape y = outShape(inputs.get(0).shape(), a.shape(), a.conv());
            if (!y.equals(inputs.get(1).shape())) {
                throw new ShapeException("conv2d weight gradient: " + inputs.get(1).shape() + " is not the output " + y);
            }
            return a.shape();
        }

        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return null; // a gradient: never differentiated again
        }

        @Override
        public double[] reference(Node n, double[][] in, Reference ctx) {
            int[] xd = nchw(n.input(0).shape(), ctx.batch());
            int[] wd = nchw(n.shape(), ctx.batch());
            int[] yd = nchw(n.input(1).shape(), ctx.batch());
            double[] dw = new double[wd[0] * wd[1] * wd[2] * wd[3]];
            forEachTap(xd, wd, yd, n.attrs(Attrs.ConvGrad.class).conv(), (yi, xi, wi) -> dw[wi] += in[1][yi] * in[0][xi]);
            return dw;
        }
    }
}
