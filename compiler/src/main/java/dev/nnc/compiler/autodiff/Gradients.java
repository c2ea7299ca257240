package dev.nnc.compiler.autodiff;

import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import java.util.EnumMap;
import java.util.Map;

/**
 * Vector-Jacobian rules, one per op: given the node y = op(inputs) and the gradient g of the loss
 * with respect to y, the gradient with respect to each input (null where there is none). Written
 * with IR primitives, so the backward graph is ordinary IR.
 */
final class Gradients {
    private Gradients() {
    }

    @FunctionalInterface
    interface Rule {
        Node[] vjp(Graph b, Node y, Node g);
    }

    /** Ops that have no gradient because nothing can flow through them to a parameter. */
    static final java.util.Set<Op> NO_GRADIENT = java.util.EnumSet.of(Op.INPUT, Op.PARAM, Op.CONST, Op.DROPOUT_MASK,
            Op.STEP, Op.LEAKY_STEP, Op.CLAMP_PROB_MASK, Op.CROSS_ENTROPY_GRAD);

    static final Map<Op, Rule> RULES = new EnumMap<>(Op.class);

    private static void rule(Op op, Rule r) {
        RULES.put(op, r);
    }

    static {
        rule(Op.NEG, (b, y, g) -> new Node[] {b.unary(Op.NEG, g)});                                 // -g
        rule(Op.COPY, (b, y, g) -> new Node[] {g});                                                 // g
        rule(Op.RELU, (b, y, g) -> new Node[] {b.binary(Op.MUL, g, b.unary(Op.STEP, y))});         // g·[y>0]
        rule(Op.LEAKY_RELU, (b, y, g) ->                                                            // g·(x>0 ? 1 : α)
                new Node[] {b.binary(Op.MUL, g, b.unary(Op.LEAKY_STEP, y.input(0), y.attrs().value()))});
        rule(Op.SIGMOID, (b, y, g) ->                                                               // g·y·(1-y)
                new Node[] {b.binary(Op.MUL, g, b.binary(Op.MUL, y, b.binary(Op.SUB, b.constant(1), y)))});
        rule(Op.SOFTPLUS, (b, y, g) -> new Node[] {b.binary(Op.MUL, g, b.unary(Op.SIGMOID, y.input(0)))}); // g·σ(x)
        rule(Op.TANH, (b, y, g) ->                                                                  // g·(1-y²)
                new Node[] {b.binary(Op.MUL, g, b.binary(Op.SUB, b.constant(1), b.binary(Op.MUL, y, y)))});
        rule(Op.EXP, (b, y, g) -> new Node[] {b.binary(Op.MUL, g, y)});                             // g·y
        rule(Op.LOG, (b, y, g) -> new Node[] {b.binary(Op.DIV, g, y.input(0))});                    // g/x
        rule(Op.SQRT, (b, y, g) ->                                                                  // g/(2y)
                new Node[] {b.binary(Op.DIV, g, b.binary(Op.MUL, b.constant(2), y))});
        rule(Op.ADD, (b, y, g) ->                                                                   // g, g (unbroadcast)
                new Node[] {b.sumTo(g, y.input(0).shape()), b.sumTo(g, y.input(1).shape())});
        rule(Op.SUB, (b, y, g) ->                                                                   // g, -g
                new Node[] {b.sumTo(g, y.input(0).shape()), b.sumTo(b.unary(Op.NEG, g), y.input(1).shape())});
        rule(Op.MUL, (b, y, g) -> new Node[] {                                                     // g·b, g·a
            b.sumTo(b.binary(Op.MUL, g, y.input(1)), y.input(0).shape()),
            b.sumTo(b.binary(Op.MUL, g, y.input(0)), y.input(1).shape())});
        rule(Op.DIV, (b, y, g) -> new Node[] {                                                     // g/b, -g·y/b
            b.sumTo(b.binary(Op.DIV, g, y.input(1)), y.input(0).shape()),
            b.sumTo(b.unary(Op.NEG, b.binary(Op.DIV, b.binary(Op.MUL, g, y), y.input(1))), y.input(1).shape())});
        rule(Op.BROADCAST, (b, y, g) -> new Node[] {b.sumTo(g, y.input(0).shape())});             // unbroadcast g
        rule(Op.RESHAPE, (b, y, g) -> new Node[] {b.reshape(g, y.input(0).shape())});              // g in x's shape
        rule(Op.SUM, (b, y, g) -> new Node[] {expandReduced(b, g, y.input(0).shape(), y.attrs().ints())});
        rule(Op.MATMUL, Gradients::matmul);
        rule(Op.SOFTMAX, (b, y, g) -> {                                                             // y·(g - Σ g·y)
            Node dot = rowSum(b, b.binary(Op.MUL, g, y));
            return new Node[] {b.binary(Op.MUL, y, b.binary(Op.SUB, g, dot))};
        });
        rule(Op.LOG_SOFTMAX, (b, y, g) ->                                                           // g - exp(y)·Σg
                new Node[] {b.binary(Op.SUB, g, b.binary(Op.MUL, b.unary(Op.EXP, y), rowSum(b, g)))});
        rule(Op.CROSS_ENTROPY, (b, y, g) ->                                                         // (softmax - onehot)·g/n
                new Node[] {b.crossEntropyGrad(y.input(0), y.input(1), g), null});
        rule(Op.TRANSPOSE, (b, y, g) -> new Node[] {b.transpose(g)});                               // gᵀ
        rule(Op.CLAMP_PROB, (b, y, g) ->                                                            // g·[eps<x<1-eps]
                new Node[] {b.binary(Op.MUL, g, b.unary(Op.CLAMP_PROB_MASK, y.input(0), y.attrs().value()))});
    }

    /** Row sums over the last axis, kept as [.., 1] so they broadcast back over the row. */
    private static Node rowSum(Graph b, Node x) {
        int last = x.shape().rank() - 1;
        Node s = b.sum(x, new int[] {last});
        int[] keep = x.shape().dims();
        keep[last] = 1;
        return b.reshape(s, new Shape(keep));
    }

    /** The adjoint of SUM: g, with the reduced axes put back as size 1, broadcast to x's shape. */
    private static Node expandReduced(Graph b, Node g, Shape x, int[] axes) {
        int[] keep = x.dims();
        for (int a : axes) keep[a] = 1;
        return b.broadcastTo(b.reshape(g, new Shape(keep)), x);
    }

    /**
     * C = op(A)·op(B). For plain A·B: dA = g·Bᵀ, dB = Aᵀ·g; the transposed variants follow by
     * transposing both sides, so no explicit transpose op is ever built.
     */
    private static Node[] matmul(Graph b, Node y, Node g) {
        Node a = y.input(0);
        Node c = y.input(1);
        boolean ta = y.attrs().flagA();
        boolean tb = y.attrs().flagB();
        Node da = ta ? b.matmul(c, g, tb, true) : b.matmul(g, c, false, !tb);
        Node db = tb ? b.matmul(g, a, true, ta) : b.matmul(a, g, !ta, false);
        return new Node[] {da, db};
    }
}
