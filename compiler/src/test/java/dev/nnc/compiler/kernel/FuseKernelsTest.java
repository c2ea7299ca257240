package dev.nnc.compiler.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** FuseKernels on tiny graphs: kernel counts and what each kernel holds, before and after. */
class FuseKernelsTest {

    private static String dump(List<Kernel> ks) {
        return ks.stream().map(k -> k.title() + " " + k.space()).collect(Collectors.joining("\n"));
    }

    @Test
    void denseReluDropoutBecomesOneGemmWithEpilogue() {
        Graph g = new Graph();
        Node x = g.input("x", Shape.of(Shape.BATCH, 4), Node.Type.FLOAT);
        Node w = g.param("w", Shape.of(4, 3));
        Node b = g.param("b", Shape.of(3));
        Node mask = g.dropoutMask(Shape.of(Shape.BATCH, 3), 0.5, "d1");
        Node y = g.binary(Op.MUL, g.unary(Op.RELU, g.binary(Op.ADD, g.matmul(x, w, false, false), b)), mask);
        List<Node> schedule = ModelPlan.needed(List.of(y));

        List<Kernel> before = FuseKernels.run(schedule, List.of(y), false);
        assertEquals("""
                dropout_mask [N, 3]
                matmul [N, 3]
                add [N, 3]
                relu [N, 3]
                mul [N, 3]""", dump(before));

        List<Kernel> after = FuseKernels.run(schedule, List.of(y), true);
        assertEquals("matmul+dropout_mask+add+relu+mul [N, 3]", dump(after));
        Kernel k = after.getFirst();
        assertEquals(List.of(x, w, b), k.inputs(), "the mask is drawn in the kernel, not read");
        assertFalse(k.outputs().contains(mask), "nothing reads the mask later, so it is not stored");
        assertTrue(k.outputs().contains(y));
        assertFalse(k.outputs().contains(k.members().getFirst()), "the bias add stays in a register");
    }

    @Test
    void reductionFusesWithItsElementwiseProducer() {
        Graph g = new Graph();
        Node x = g.input("x", Shape.of(Shape.BATCH, 5), Node.Type.FLOAT);
        Node s = g.sum(g.binary(Op.MUL, g.unary(Op.TANH, x), x), new int[] {0, 1});
        List<Node> schedule = ModelPlan.needed(List.of(s));
        assertEquals(3, FuseKernels.run(schedule, List.of(s), false).size());
        List<Kernel> after = FuseKernels.run(schedule, List.of(s), true);
        assertEquals("tanh+mul+sum [N, 5]", dump(after));
        assertEquals(List.of(s), after.getFirst().outputs());
    }

    @Test
    void aValueReadLaterIsStoredAndSealsItsKernel() {
        Graph g = new Graph();
        Node x = g.input("x", Shape.of(Shape.BATCH, 5), Node.Type.FLOAT);
        Node t = g.unary(Op.TANH, x);
        Node s = g.sum(t, new int[] {1});                                  // [N], a different space
        Node back = g.binary(Op.MUL, t, g.broadcastTo(g.reshape(s, Shape.of(Shape.BATCH, 1)), t.shape()));
        List<Node> schedule = ModelPlan.needed(List.of(back));
        List<Kernel> after = FuseKernels.run(schedule, List.of(back), true);
        // tanh and its row sum in one loop; the product needs the finished sum, so it runs after
        assertEquals("""
                tanh+sum [N, 5]
                broadcast+mul [N, 5]""", dump(after));
        assertTrue(after.getFirst().outputs().contains(t), "tanh is read by the second kernel");
    }

    @Test
    void gemmOperandsAreNeverOverwrittenInPlace() {
        Graph g = new Graph();
        Node x = g.input("x", Shape.of(Shape.BATCH, 4), Node.Type.FLOAT);
        Node w = g.param("w", Shape.of(4, 4));
        Node h = g.unary(Op.TANH, g.matmul(x, w, false, false));
        Node y = g.unary(Op.RELU, g.matmul(h, w, false, false));
        List<Node> schedule = ModelPlan.needed(List.of(y));
        List<Kernel> ks = FuseKernels.run(schedule, List.of(y), true);
        PlanMemory.Result plan = PlanMemory.run(ks, java.util.Set.of(), java.util.Set.of(y), true);
        Node product2 = ks.get(1).gemm();
        assertTrue(plan.offset(h) != plan.offset(product2) || !plan.planned(h), "h is read while the product is written");
    }
}
