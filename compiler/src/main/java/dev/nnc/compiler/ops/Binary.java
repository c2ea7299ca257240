package dev.nnc.compiler.ops;

import dev.nnc.compiler.ir.Attrs;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import java.util.List;

/**
 * Elementwise ops of two inputs with NumPy broadcasting: the output has the broadcast shape; the
 * gradient of an input that was broadcast is summed back to its shape ({@code sumTo}).
 */
public final class Binary {
    private Binary() {
    }

    /** What every two-input elementwise op shares; {@link #scalar} is the op itself, in f64. */
    public abstract static class Op2 extends OpDef {
        @Override
        public final Op.Family family() {
            return Op.Family.ELEMENTWISE;
        }

        @Override
        public final Class<Attrs.None> attrs() {
            return Attrs.None.class;
        }

        @Override
        public final Shape shape(List<Node> inputs, Attrs a) {
            return Graph.broadcastShape(op(), inputs.get(0).shape(), inputs.get(1).shape());
        }

        @Override
        public final List<String> templateKeys() {
            return List.of(key());
        }

        @Override
        public final long flops(Node n, int batch) {
            return size(n.shape(), batch);
        }

        @Override
        public final double[] reference(Node n, double[][] in, Reference ctx) {
            int batch = ctx.batch();
            double[] a = Tensors.broadcast(in[0], n.input(0).shape(), n.shape(), batch);
            double[] b = Tensors.broadcast(in[1], n.input(1).shape(), n.shape(), batch);
            double[] r = new double[a.length];
            for (int i = 0; i < r.length; i++) r[i] = scalar(a[i], b[i]);
            return r;
        }

        public abstract double scalar(double a, double b);
    }

    public static final class Add extends Op2 {
        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return new Node[] {b.sumTo(g, y.input(0).shape()), b.sumTo(g, y.input(1).shape())}; // g, g
        }

        @Override
        public double scalar(double a, double b) {
            return a + b;
        }
    }

    public static final class Sub extends Op2 {
        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return new Node[] {b.sumTo(g, y.input(0).shape()), b.sumTo(b.unary(Op.NEG, g), y.input(1).shape())}; // g, -g
        }

        @Override
        public double scalar(double a, double b) {
            return a - b;
        }
    }

    public static final class Mul extends Op2 {
        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return new Node[] {b.sumTo(b.binary(Op.MUL, g, y.input(1)), y.input(0).shape()), // g·b
                b.sumTo(b.binary(Op.MUL, g, y.input(0)), y.input(1).shape())};             // g·a
        }

        @Override
        public double scalar(double a, double b) {
            return a * b;
        }
    }

    public static final class Div extends Op2 {
        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return new Node[] {b.sumTo(b.binary(Op.DIV, g, y.input(1)), y.input(0).shape()), // g/b
                b.sumTo(b.unary(Op.NEG, b.binary(Op.DIV, b.binary(Op.MUL, g, y), y.input(1))), y.input(1).shape())}; // -g·y/b
        }

        @Override
        public double scalar(double a, double b) {
            return a / b;
        }
    }
}
