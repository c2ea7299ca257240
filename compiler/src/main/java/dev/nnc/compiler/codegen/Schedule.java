package dev.nnc.compiler.codegen;

import dev.nnc.compiler.ir.ModelIr;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The kernel schedules of a model: which nodes each entry point computes, in order. Nodes not
 * needed by an entry point's roots are not computed there (dead-code elimination per schedule).
 */
record Schedule(List<Node> predict, List<Node> loss, List<Node> trainForward, List<Node> backward) {

    static Schedule of(ModelIr m, boolean training) {
        List<Node> outs = m.outputs().stream().map(ModelIr.Output::node).toList();
        List<Node> predict = needed(outs);
        List<Node> lossRoots = new ArrayList<>(outs);
        if (m.inferenceLoss() != null) lossRoots.add(m.inferenceLoss());
        List<Node> loss = needed(lossRoots);
        List<Node> train = List.of();
        List<Node> back = List.of();
        if (training && m.trainingLoss() != null) {
            List<Node> roots = new ArrayList<>(m.grads().values());
            roots.add(m.trainingLoss());
            List<Node> all = needed(roots);
            train = all.stream().filter(n -> !n.backward()).toList();
            back = all.stream().filter(Node::backward).toList();
        }
        return new Schedule(predict, loss, train, back);
    }

    /** Every node the roots depend on, in id (= topological) order. */
    static List<Node> needed(Collection<Node> roots) {
        Set<Node> seen = new HashSet<>();
        List<Node> stack = new ArrayList<>(roots);
        while (!stack.isEmpty()) {
            Node n = stack.removeLast();
            if (seen.add(n)) stack.addAll(n.inputs());
        }
        List<Node> out = new ArrayList<>(seen);
        out.sort((a, b) -> Integer.compare(a.id(), b.id()));
        return out;
    }

    /** True for nodes that become a kernel (or a GEMM call); sources and views do not. */
    static boolean isKernel(Node n) {
        return switch (n.op().family()) {
            case SOURCE -> n.op() == Op.DROPOUT_MASK;
            case VIEW -> false;
            default -> true;
        };
    }
}
