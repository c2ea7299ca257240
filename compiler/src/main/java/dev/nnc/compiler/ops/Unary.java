package dev.nnc.compiler.ops;

import dev.nnc.compiler.ir.Attrs;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import java.util.List;

/**
 * Elementwise ops of one input: the output has the input's shape; the code is one scalar
 * expression ({@code jvm/scalar.properties}, key = the op's key). Each class: the VJP with its
 * formula in a comment, and the scalar function the reference applies.
 */
public final class Unary {
    private Unary() {
    }

    /** What every one-input elementwise op shares; {@link #scalar} is the op itself, in f64. */
    public abstract static class Op1 extends OpDef {
        @Override
        public final Op.Family family() {
            return Op.Family.ELEMENTWISE;
        }

        @Override
        public Class<? extends Attrs> attrs() {
            return Attrs.None.class;
        }

        @Override
        public final Shape shape(List<Node> inputs, Attrs a) {
            return inputs.getFirst().shape();
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
            double alpha = n.attrs() instanceof Attrs.Scalar s ? s.value() : 0;
            double[] x = in[0];
            double[] r = new double[x.length];
            for (int i = 0; i < r.length; i++) r[i] = scalar(x[i], alpha);
            return r;
        }

        /** The op on one element; {@code alpha} is the op's {@link Attrs.Scalar}, when it has one. */
        public abstract double scalar(double x, double alpha);
    }

    /** An op of one input with a real parameter ({@link Attrs.Scalar}). */
    public abstract static class Op1Scalar extends Op1 {
        @Override
        public final Class<? extends Attrs> attrs() {
            return Attrs.Scalar.class;
        }
    }

    static double alpha(Node n) {
        return n.attrs(Attrs.Scalar.class).value();
    }

    public static final class Neg extends Op1 {
        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return new Node[] {b.unary(Op.NEG, g)}; // -g
        }

        @Override
        public double scalar(double x, double alpha) {
            return -x;
        }
    }

    public static final class Copy extends Op1 {
        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return new Node[] {g}; // g
        }

        @Override
        public double scalar(double x, double alpha) {
            return x;
        }
    }

    public static final class Relu extends Op1 {
        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return new Node[] {b.binary(Op.MUL, g, b.unary(Op.STEP, y))}; // g·[y>0], from the output, which is kept anyway
        }

        @Override
        public double scalar(double x, double alpha) {
            return x > 0 ? x : 0;
        }
    }

    public static final class LeakyRelu extends Op1Scalar {
        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return new Node[] {b.binary(Op.MUL, g, b.unary(Op.LEAKY_STEP, y.input(0), alpha(y)))}; // g·(x>0 ? 1 : α)
        }

        @Override
        public double scalar(double x, double alpha) {
            return x > 0 ? x : alpha * x;
        }
    }

    public static final class Sigmoid extends Op1 {
        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return new Node[] {b.binary(Op.MUL, g, b.binary(Op.MUL, y, b.binary(Op.SUB, b.constant(1), y)))}; // g·y·(1-y)
        }

        @Override
        public double scalar(double x, double alpha) {
            return 1 / (1 + Math.exp(-x));
        }
    }

    /** log(1 + exp(x)), computed without overflow; its derivative is sigmoid. */
    public static final class Softplus extends Op1 {
        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return new Node[] {b.binary(Op.MUL, g, b.unary(Op.SIGMOID, y.input(0)))}; // g·σ(x)
        }

        @Override
        public double scalar(double x, double alpha) {
            return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
        }
    }

    public static final class Tanh extends Op1 {
        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return new Node[] {b.binary(Op.MUL, g, b.binary(Op.SUB, b.constant(1), b.binary(Op.MUL, y, y)))}; // g·(1-y²)
        }

        @Override
        public double scalar(double x, double alpha) {
            return Math.tanh(x);
        }
    }

    public static final class Exp extends Op1 {
        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return new Node[] {b.binary(Op.MUL, g, y)}; // g·y
        }

        @Override
        public double scalar(double x, double alpha) {
            return Math.exp(x);
        }
    }

    public static final class Log extends Op1 {
        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return new Node[] {b.binary(Op.DIV, g, y.input(0))}; // g/x
        }

        @Override
        public double scalar(double x, double alpha) {
            return Math.log(x);
        }
    }

    public static final class Sqrt extends Op1 {
        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return new Node[] {b.binary(Op.DIV, g, b.binary(Op.MUL, b.constant(2), y))}; // g/(2y)
        }

        @Override
        public double scalar(double x, double alpha) {
            return Math.sqrt(x);
        }
    }

    /** x > 0 ? 1 : 0, the derivative of relu; never differentiated itself. */
    public static final class Step extends Op1 {
        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return null;
        }

        @Override
        public double scalar(double x, double alpha) {
            return x > 0 ? 1 : 0;
        }
    }

    /** x > 0 ? 1 : alpha, the derivative of leaky_relu; never differentiated itself. */
    public static final class LeakyStep extends Op1Scalar {
        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return null;
        }

        @Override
        public double scalar(double x, double alpha) {
            return x > 0 ? 1 : alpha;
        }
    }

    /** min(max(x, eps), 1 - eps): keeps probabilities away from 0 and 1 before a log. */
    public static final class ClampProb extends Op1Scalar {
        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return new Node[] {b.binary(Op.MUL, g, b.unary(Op.CLAMP_PROB_MASK, y.input(0), alpha(y)))}; // g·[eps<x<1-eps]
        }

        @Override
        public double scalar(double x, double alpha) {
            return Math.min(Math.max(x, alpha), 1 - alpha);
        }
    }

    /** eps < x < 1 - eps ? 1 : 0, the derivative of clamp_prob; never differentiated itself. */
    public static final class ClampProbMask extends Op1Scalar {
        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return null;
        }

        @Override
        public double scalar(double x, double alpha) {
            return x > alpha && x < 1 - alpha ? 1 : 0;
        }
    }
}
