package dev.nnc.compiler.passes;

import dev.nnc.compiler.ir.Attrs;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.ModelIr;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Pass Simplify: algebraic rewrites on the forward graph, before autodiff, so that the backward
 * graph is derived from the simpler, numerically stable form.
 * Before: {@code log(clamp_prob(sigmoid(z)))} (what binary_cross_entropy of a sigmoid lowers to).
 * After: {@code -softplus(-z)}, exact for every z where the clamped form saturates at 1e-7.
 *
 * <p>The graph builder already folds constants and the identities {@code x*1, x+0, x-0, x/1,
 * reshape∘reshape, transpose∘transpose} whenever a node is created, with this pass on or off; the rules here need to
 * see more than one node. Rules, one line each, tried in order on every node (inputs already
 * rewritten):
 */
public final class Simplify {
    private Simplify() {
    }

    /** A rewrite: the replacement for {@code n} built in {@code g}, or null when it does not apply. */
    @FunctionalInterface
    interface Rule {
        Node apply(Graph g, Node n);
    }

    record Named(String name, Rule rule) {
    }

    static final List<Named> RULES = List.of(
            new Named("neg(neg(x)) -> x", (g, n) ->
                    is(n, Op.NEG) && is(n.input(0), Op.NEG) ? n.input(0).input(0) : null),
            new Named("log(softmax(x)) -> log_softmax(x)", (g, n) ->
                    is(n, Op.LOG) && is(n.input(0), Op.SOFTMAX) ? g.rowwise(Op.LOG_SOFTMAX, n.input(0).input(0)) : null),
            new Named("log(clamp_prob(sigmoid(z))) -> -softplus(-z)", (g, n) ->
                    is(n, Op.LOG) && clampedSigmoid(n.input(0)) != null
                            ? g.unary(Op.NEG, softplus(g, g.unary(Op.NEG, clampedSigmoid(n.input(0))))) : null),
            new Named("log(1 - clamp_prob(sigmoid(z))) -> -softplus(z)", (g, n) ->
                    is(n, Op.LOG) && is(n.input(0), Op.SUB) && isOne(n.input(0).input(0))
                            && clampedSigmoid(n.input(0).input(1)) != null
                            ? g.unary(Op.NEG, softplus(g, clampedSigmoid(n.input(0).input(1)))) : null),
            new Named("matmul(transpose(a), b) -> matmul(a, b) with a's transpose flag flipped (either side)", (g, n) ->
                    is(n, Op.MATMUL) && (is(n.input(0), Op.TRANSPOSE) || is(n.input(1), Op.TRANSPOSE))
                            ? g.matmul(untransposed(n.input(0)), untransposed(n.input(1)),
                                    n.attrs(Attrs.Matmul.class).transA() ^ is(n.input(0), Op.TRANSPOSE),
                                    n.attrs(Attrs.Matmul.class).transB() ^ is(n.input(1), Op.TRANSPOSE)) : null));

    /** x for transpose(x), else the node itself. */
    private static Node untransposed(Node n) {
        return is(n, Op.TRANSPOSE) ? n.input(0) : n;
    }

    /** Rewrites the model's graph; returns the same model when no rule applied. */
    public static ModelIr run(ModelIr m) {
        Graph out = new Graph();
        Map<Node, Node> map = new HashMap<>();
        boolean changed = false;
        for (Node n : m.graph().nodes()) {
            List<Node> ins = new ArrayList<>();
            for (Node in : n.inputs()) ins.add(map.get(in));
            Node rebuilt = out.rebuild(n, ins);
            Node replaced = rebuilt;
            out.at(n.pos());
            for (Named r : RULES) {
                Node x = r.rule().apply(out, replaced);
                if (x != null) {
                    replaced = x;
                    changed = true;
                }
            }
            if (n.label() != null) replaced.labelIfUnset(n.label());
            map.put(n, replaced);
        }
        return changed ? m.remap(out, map::get) : m;
    }

    /** z when {@code q} is clamp_prob(sigmoid(z)), else null. */
    private static Node clampedSigmoid(Node q) {
        return is(q, Op.CLAMP_PROB) && is(q.input(0), Op.SIGMOID) ? q.input(0).input(0) : null;
    }

    /**
     * softplus(x) = log(1 + exp(x)) as one op: smooth everywhere (a composition through max and
     * |x| would have a kink at 0 that autodiff differentiates as 0 instead of 1/2).
     */
    private static Node softplus(Graph g, Node x) {
        return g.unary(Op.SOFTPLUS, x);
    }

    private static boolean is(Node n, Op op) {
        return n.op() == op;
    }

    private static boolean isOne(Node n) {
        return Graph.isPlainConst(n) && n.attrs(Attrs.Const.class).value() == 1;
    }
}
