package dev.nnc.compiler.autodiff;

import dev.nnc.compiler.diag.Diagnostics;
import dev.nnc.compiler.diag.ErrorCode;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.ModelIr;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reverse-mode differentiation at compile time: walks the training graph from the loss back to
 * the parameters, applying each op's rule from {@link Gradients} and summing the contributions.
 * The result is more IR in the same graph, recorded in {@link ModelIr#grads()}.
 */
public final class Autodiff {
    private Autodiff() {
    }

    /** Adds gradient nodes for every parameter; reports a missing rule as a positioned diagnostic. */
    public static void differentiate(ModelIr model, Diagnostics diags) {
        Node loss = model.trainingLoss();
        if (loss == null) return;
        Graph g = model.graph();
        List<Node> nodes = g.nodes();
        Set<Node> needed = dependsOnParam(nodes, loss);
        Map<Node, Node> grad = new HashMap<>();
        g.backward(true);
        g.at(loss.pos());
        grad.put(loss, g.constant(1));
        for (int i = loss.id(); i >= 0; i--) {
            Node y = nodes.get(i);
            Node dy = grad.get(y);
            if (dy == null || y.op() == Op.PARAM) continue;
            if (Gradients.NO_GRADIENT.contains(y.op())) continue;
            Gradients.Rule rule = Gradients.RULES.get(y.op());
            if (rule == null) {
                diags.error(ErrorCode.UNSUPPORTED, y.pos(), "no gradient rule for op '" + y.op().key() + "'");
                continue;
            }
            g.at(y.pos());
            Node[] dx = rule.vjp(g, y, dy);
            for (int k = 0; k < dx.length; k++) {
                Node x = y.input(k);
                if (dx[k] == null || !needed.contains(x)) continue;
                Node prev = grad.get(x);
                grad.put(x, prev == null ? dx[k] : g.binary(Op.ADD, prev, dx[k]));
            }
        }
        for (ModelIr.Param p : model.params()) {
            Node d = grad.get(p.node());
            if (d != null) model.grads().put(p, d);
        }
        g.backward(false);
    }

    /** Nodes on a path from some parameter to the loss: only they need gradients. */
    private static Set<Node> dependsOnParam(List<Node> nodes, Node loss) {
        Set<Node> dep = new HashSet<>();
        for (Node n : nodes) {
            if (n.id() > loss.id()) break;
            if (n.op() == Op.PARAM || n.inputs().stream().anyMatch(dep::contains)) dep.add(n);
        }
        return dep;
    }
}
