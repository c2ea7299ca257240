package dev.nnc.compiler.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** OrderKernels finishes one branch before starting the next, and keeps chains as they are. */
class OrderKernelsTest {
    @Test
    void independentBranchesRunOneAtATime() {
        Graph g = new Graph();
        Node x = g.input("x", Shape.of(Shape.BATCH, 8), Node.Type.FLOAT);
        Node w1 = g.param("w1", Shape.of(8, 256));
        Node w2 = g.param("w2", Shape.of(256, 1));
        Node a1 = g.matmul(x, w1, false, false);             // both wide products are created first,
        Node b1 = g.matmul(g.unary(Op.NEG, x), w1, false, false); // as a naive lowering would
        Node a2 = g.matmul(a1, w2, false, false);
        Node b2 = g.matmul(b1, w2, false, false);
        Node y = g.binary(Op.ADD, a2, b2);
        List<Node> nodes = ModelPlan.needed(List.of(y));
        List<Kernel> created = FuseKernels.run(nodes, List.of(y), true);
        List<Kernel> ordered = OrderKernels.run(created, List.of(y));
        PlanMemory.Result before = PlanMemory.run(created, Set.of(), Set.of(y), true);
        PlanMemory.Result after = PlanMemory.run(ordered, Set.of(), Set.of(y), true);
        assertTrue(before.batchedPeak() >= 2 * 256, "both wide products live together: " + before.batchedPeak());
        assertTrue(after.batchedPeak() < before.batchedPeak(), "peak " + before.batchedPeak() + " -> "
                + after.batchedPeak());
        assertTrue(KernelVerifier.verify(List.of(new ModelPlan.Entry("e", ordered, ordered.size(), after, nodes)))
                .isEmpty());
    }

    @Test
    void aChainKeepsItsOrder() {
        Graph g = new Graph();
        Node x = g.input("x", Shape.of(Shape.BATCH, 4), Node.Type.FLOAT);
        Node w = g.param("w", Shape.of(4, 4));
        Node y = g.matmul(g.unary(Op.TANH, g.matmul(g.unary(Op.TANH, g.matmul(x, w, false, false)), w, false, false)),
                w, false, false);
        List<Node> nodes = ModelPlan.needed(List.of(y));
        List<Kernel> created = FuseKernels.run(nodes, List.of(y), true);
        assertEquals(created, OrderKernels.run(created, List.of(y)));
    }
}
