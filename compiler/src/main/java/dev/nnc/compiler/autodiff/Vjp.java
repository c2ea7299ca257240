package dev.nnc.compiler.autodiff;

import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reverse mode over any graph: given values {@code outs} and the gradients {@code seeds} of some
 * objective with respect to them, the gradient with respect to every node they depend on, built
 * in the same graph from each op's vector-Jacobian rule and summed where a value has several
 * readers. Used for loop bodies (a recurrence's backward step); {@link Autodiff} does the same
 * for a whole model, with the model's own refinements.
 */
public final class Vjp {
    private Vjp() {
    }

    public static Map<Node, Node> run(Graph g, List<Node> outs, List<Node> seeds) {
        Map<Node, Node> grad = new HashMap<>();
        int last = -1;
        for (int i = 0; i < outs.size(); i++) {
            add(g, grad, outs.get(i), seeds.get(i));
            last = Math.max(last, outs.get(i).id());
        }
        List<Node> nodes = g.nodes();
        for (int i = last; i >= 0; i--) {
            Node y = nodes.get(i);
            Node dy = grad.get(y);
            if (dy == null || y.op() == Op.INPUT || y.op() == Op.PARAM) continue;
            g.at(y.pos());
            Node[] dx = y.op().def().vjp(g, y, dy);
            if (dx == null) continue;
            for (int k = 0; k < dx.length; k++) {
                if (dx[k] != null) add(g, grad, y.input(k), dx[k]);
            }
        }
        return grad;
    }

    private static void add(Graph g, Map<Node, Node> grad, Node x, Node dx) {
        Node prev = grad.get(x);
        grad.put(x, prev == null ? dx : g.binary(Op.ADD, prev, dx));
    }
}
