package dev.nnc.compiler.ops;

import dev.nnc.compiler.ir.Attrs;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import dev.nnc.compiler.ir.ShapeException;
import java.util.List;

/**
 * Row-wise ops over the last axis, numerically careful (the row's maximum subtracted before
 * {@code exp}), each kept whole as one loop skeleton ({@code jvm/<op>.tmpl}).
 */
public final class RowOps {
    private RowOps() {
    }

    /** What the row-wise ops share: one skeleton, 5 flops per input element. */
    public abstract static class RowOp extends OpDef {
        @Override
        public final Op.Family family() {
            return Op.Family.ROWWISE;
        }

        @Override
        public final Class<Attrs.None> attrs() {
            return Attrs.None.class;
        }

        @Override
        public final List<String> templateKeys() {
            return List.of(key());
        }

        @Override
        public final long flops(Node n, int batch) {
            return 5 * size(n.input(0).shape(), batch);
        }
    }

    /** Columns (the last axis) and rows of a row-wise op's first input. */
    static int cols(Node n) {
        Shape x = n.input(0).shape();
        return x.rank() == 0 ? 1 : x.dim(x.rank() - 1);
    }

    static Shape rowsOnly(List<Node> inputs, String what) {
        Shape x = inputs.getFirst().shape();
        if (x.rank() < 1) throw new ShapeException(what + " needs at least one dimension, got a scalar");
        return x;
    }

    /** Row sums over the last axis, kept as [.., 1] so they broadcast back over the row. */
    static Node rowSum(Graph b, Node x) {
        int last = x.shape().rank() - 1;
        Node s = b.sum(x, new int[] {last});
        int[] keep = x.shape().dims();
        keep[last] = 1;
        return b.reshape(s, new Shape(keep));
    }

    /** log Σ exp over one row, with the maximum taken out first. */
    static double logSumExp(double[] x, int from, int cols) {
        double max = x[from];
        for (int j = 1; j < cols; j++) max = Math.max(max, x[from + j]);
        double s = 0;
        for (int j = 0; j < cols; j++) s += Math.exp(x[from + j] - max);
        return max + Math.log(s);
    }

    public static final class Softmax extends RowOp {
        @Override
        public boolean rowsIndependent() {
            return true;
        }

        @Override
        public Shape shape(List<Node> inputs, Attrs a) {
            return rowsOnly(inputs, key());
        }

        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            Node dot = rowSum(b, b.binary(Op.MUL, g, y));
            return new Node[] {b.binary(Op.MUL, y, b.binary(Op.SUB, g, dot))}; // y·(g - Σ g·y)
        }

        @Override
        public List<String> templateOperands() {
            return List.of("x");
        }

        @Override
        public double[] reference(Node n, double[][] in, Reference ctx) {
            int cols = cols(n);
            double[] r = new double[in[0].length];
            for (int row = 0; row < r.length; row += cols) {
                double lse = logSumExp(in[0], row, cols);
                for (int j = 0; j < cols; j++) r[row + j] = Math.exp(in[0][row + j] - lse);
            }
            return r;
        }
    }

    public static final class LogSoftmax extends RowOp {
        @Override
        public boolean rowsIndependent() {
            return true;
        }

        @Override
        public Shape shape(List<Node> inputs, Attrs a) {
            return rowsOnly(inputs, key());
        }

        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return new Node[] {b.binary(Op.SUB, g, b.binary(Op.MUL, b.unary(Op.EXP, y), rowSum(b, g)))}; // g - exp(y)·Σg
        }

        @Override
        public List<String> templateOperands() {
            return List.of("x");
        }

        @Override
        public double[] reference(Node n, double[][] in, Reference ctx) {
            int cols = cols(n);
            double[] r = new double[in[0].length];
            for (int row = 0; row < r.length; row += cols) {
                double lse = logSumExp(in[0], row, cols);
                for (int j = 0; j < cols; j++) r[row + j] = in[0][row + j] - lse;
            }
            return r;
        }
    }

    /** Mean over rows of -log softmax(logits)[label]; labels are i32 [N]. */
    public static final class CrossEntropy extends RowOp {
        @Override
        public Shape shape(List<Node> inputs, Attrs a) {
            Shape logits = inputs.get(0).shape();
            Shape labels = inputs.get(1).shape();
            if (logits.rank() != 2) throw new ShapeException("logits must be 2-D [N, classes], got " + logits);
            if (labels.rank() != 1 || labels.dim(0) != logits.dim(0)) {
                throw new ShapeException("integer labels must be [" + (logits.dim(0) == Shape.BATCH ? "N" : logits.dim(0))
                        + "] for logits " + logits + ", got " + labels);
            }
            return Shape.SCALAR;
        }

        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return new Node[] {b.crossEntropyGrad(y.input(0), y.input(1), g), null}; // (softmax - onehot)·g/n
        }

        @Override
        public List<String> templateOperands() {
            return List.of("logits", "labels");
        }

        @Override
        public double[] reference(Node n, double[][] in, Reference ctx) {
            int cols = cols(n);
            int rows = in[0].length / cols;
            double total = 0;
            for (int r = 0; r < rows; r++) {
                int label = (int) in[1][r];
                if (label < 0 || label >= cols) throw new IllegalArgumentException("label " + label + " of row " + r);
                total += logSumExp(in[0], r * cols, cols) - in[0][r * cols + label];
            }
            return new double[] {total / rows};
        }
    }

    /** dy · (softmax(logits) - onehot(label)) / rows: the gradient of cross_entropy, never differentiated. */
    public static final class CrossEntropyGrad extends RowOp {
        @Override
        public boolean rowsIndependent() {
            return true;
        }

        @Override
        public Shape shape(List<Node> inputs, Attrs a) {
            return inputs.get(0).shape();
        }

        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return null;
        }

        @Override
        public List<String> templateOperands() {
            return List.of("logits", "labels", "dy");
        }

        @Override
        public double[] reference(Node n, double[][] in, Reference ctx) {
            int cols = cols(n);
            int rows = in[0].length / cols;
            double scale = in[2][0] / rows;
            double[] r = new double[in[0].length];
            for (int row = 0; row < rows; row++) {
                double lse = logSumExp(in[0], row * cols, cols);
                for (int j = 0; j < cols; j++) r[row * cols + j] = Math.exp(in[0][row * cols + j] - lse) * scale;
                r[row * cols + (int) in[1][row]] -= scale;
            }
            return r;
        }
    }
}
