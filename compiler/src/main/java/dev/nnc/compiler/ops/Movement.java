package dev.nnc.compiler.ops;

import dev.nnc.compiler.ir.Attrs;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import dev.nnc.compiler.ir.ShapeException;
import java.util.List;

/** Data movement: broadcasting, reshaping (a view), transposing. */
public final class Movement {
    private Movement() {
    }

    /** Expands to a larger shape by NumPy rules (right-aligned, size-1 or missing dims repeat). */
    public static final class Broadcast extends OpDef {
        @Override
        public Op.Family family() {
            return Op.Family.BROADCAST;
        }

        @Override
        public Class<Attrs.Dims> attrs() {
            return Attrs.Dims.class;
        }

        @Override
        public Shape shape(List<Node> inputs, Attrs a) {
            Shape x = inputs.getFirst().shape();
            Shape target = ((Attrs.Dims) a).shape();
            if (!Graph.broadcastShape(Op.BROADCAST, x, target).equals(target)) {
                throw new ShapeException("cannot broadcast " + x + " to " + target);
            }
            return target;
        }

        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return new Node[] {b.sumTo(g, y.input(0).shape())}; // g summed back to x's shape
        }

        @Override
        public List<String> templateKeys() {
            return List.of(key()); // a copy inside the loop nest
        }

        @Override
        public long flops(Node n, int batch) {
            return 0;
        }

        @Override
        public double[] reference(Node n, double[][] in, Reference ctx) {
            return Tensors.broadcast(in[0], n.input(0).shape(), n.shape(), ctx.batch());
        }
    }

    /** Same elements, new shape: a view, never a copy. */
    public static final class Reshape extends OpDef {
        @Override
        public Op.Family family() {
            return Op.Family.VIEW;
        }

        @Override
        public Class<Attrs.Dims> attrs() {
            return Attrs.Dims.class;
        }

        @Override
        public Shape shape(List<Node> inputs, Attrs a) {
            Shape x = inputs.getFirst().shape();
            Shape target = ((Attrs.Dims) a).shape();
            if (x.batched() != target.batched() || x.staticSize() != target.staticSize()) {
                throw new ShapeException("cannot reshape " + x + " (" + x.sizeExpr("N") + " elements) to " + target
                        + " (" + target.sizeExpr("N") + " elements)");
            }
            Graph.checkBatchFirst(target, "reshape");
            return target;
        }

        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return new Node[] {b.reshape(g, y.input(0).shape())}; // g in x's shape
        }

        @Override
        public List<String> templateKeys() {
            return List.of();
        }

        @Override
        public long flops(Node n, int batch) {
            return 0;
        }

        @Override
        public double[] reference(Node n, double[][] in, Reference ctx) {
            return in[0].clone();
        }
    }

    /**
     * [a, b] -> [b, a] of a tensor without the batch dimension; kept whole like the row-wise ops (it
     * reads rows and writes columns). Simplify folds it into a matmul operand wherever it feeds one.
     */
    public static final class Transpose extends OpDef {
        @Override
        public Op.Family family() {
            return Op.Family.ROWWISE;
        }

        @Override
        public Class<Attrs.None> attrs() {
            return Attrs.None.class;
        }

        @Override
        public Shape shape(List<Node> inputs, Attrs a) {
            Shape x = inputs.getFirst().shape();
            if (x.rank() != 2) throw new ShapeException("transpose needs a 2-D tensor, got " + x);
            if (x.batched()) {
                throw new ShapeException("transpose of " + x + ": a tensor with the batch dimension N cannot be "
                        + "transposed (N stays the first dimension); transpose the other operand of '@' instead");
            }
            return Shape.of(x.dim(1), x.dim(0));
        }

        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return new Node[] {b.transpose(g)}; // gᵀ
        }

        @Override
        public List<String> templateKeys() {
            return List.of(key());
        }

        @Override
        public List<String> templateOperands() {
            return List.of("x");
        }

        @Override
        public long flops(Node n, int batch) {
            return 0;
        }

        @Override
        public double[] reference(Node n, double[][] in, Reference ctx) {
            int rows = n.input(0).shape().dim(0);
            int cols = n.input(0).shape().dim(1);
            double[] r = new double[rows * cols];
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) r[j * rows + i] = in[0][i * cols + j];
            }
            return r;
        }
    }
}
