package dev.nnc.compiler.autodiff;

import dev.nnc.compiler.diag.Diagnostics;
import dev.nnc.compiler.diag.ErrorCode;
import dev.nnc.compiler.ir.Attrs;
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
 * the parameters, applying each op's vector-Jacobian rule ({@code OpDef.vjp}) and summing the contributions.
 * The result is more IR in the same graph, recorded in {@link ModelIr#grads()}.
 *
 * <p>Rules read forward values the backward pass then keeps in memory, so they prefer values that
 * are kept anyway: ReLU's derivative is taken from its output ({@code [y>0]}, the next layer's
 * input) rather than its pre-activation. One pattern is differentiated as a whole: dropout after
 * a ReLU that nothing else reads, {@code h = relu(z)·M} with M ∈ {0, s}, s = 1/(1-rate) > 0, has
 * {@code dz = dh·s·[h>0]}, because {@code h > 0} exactly when {@code z > 0} and the element was kept;
 * so the backward pass keeps neither the pre-activation nor the mask.
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
        Map<Node, Integer> users = new HashMap<>();
        for (Node n : nodes) {
            if (n.id() > loss.id()) break;
            for (Node in : n.inputs()) users.merge(in, 1, Integer::sum);
        }
        g.backward(true);
        g.at(loss.pos());
        grad.put(loss, g.constant(1));
        for (int i = loss.id(); i >= 0; i--) {
            Node y = nodes.get(i);
            Node dy = grad.get(y);
            if (dy == null || y.op() == Op.PARAM) continue;
            g.at(y.pos());
            Node relu = reluUnderDropout(y, users);
            if (relu != null && needed.contains(relu.input(0))) {
                double scale = 1 / (1 - mask(y).attrs(Attrs.Dropout.class).rate());
                Node dz = g.binary(Op.MUL, g.binary(Op.MUL, dy, g.constant(scale)), g.unary(Op.STEP, y));
                Node z = relu.input(0);
                Node prev = grad.get(z);
                grad.put(z, prev == null ? dz : g.binary(Op.ADD, prev, dz));
                continue;
            }
            Node[] dx = y.op().def().vjp(g, y, dy);
            if (dx == null) continue; // no gradient flows through this op
            if (dx.length != y.inputs().size()) {
                diags.error(ErrorCode.UNSUPPORTED, y.pos(), "the gradient rule of op '" + y.op().key() + "' gives "
                        + dx.length + " gradients for " + y.inputs().size() + " inputs");
                continue;
            }
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

    /** The ReLU of {@code y = relu(z)·mask} when y is its only reader, else null. */
    private static Node reluUnderDropout(Node y, Map<Node, Integer> users) {
        if (y.op() != Op.MUL || mask(y) == null) return null;
        Node a = y.input(0).op() == Op.DROPOUT_MASK ? y.input(1) : y.input(0);
        return a.op() == Op.RELU && users.getOrDefault(a, 0) == 1 ? a : null;
    }

    private static Node mask(Node mul) {
        for (Node in : mul.inputs()) {
            if (in.op() == Op.DROPOUT_MASK) return in;
        }
        return null;
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
