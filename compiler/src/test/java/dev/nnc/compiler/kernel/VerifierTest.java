package dev.nnc.compiler.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.GraphVerifier;
import dev.nnc.compiler.ir.ModelIr;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The verifiers find what they are for (a verifier that cannot fail checks nothing). */
class VerifierTest {
    @Test
    void graphVerifierReportsAMisplacedBatchDimensionAndAWrongGradientShape() {
        Graph g = new Graph();
        Node x = g.input("x", Shape.of(3, Shape.BATCH), Node.Type.FLOAT);
        Node w = g.param("w", Shape.of(2));
        ModelIr.Param p = new ModelIr.Param("w", w, new ModelIr.Init("zeros", new double[0]), false, w.pos());
        ModelIr m = new ModelIr("M", "m.nn", g, List.of(new ModelIr.Feed("x", false, x, x.pos())), List.of(),
                List.of(p), null, null, null);
        m.grads().put(p, g.constant(1));
        List<String> bad = GraphVerifier.verify(m);
        assertTrue(bad.stream().anyMatch(s -> s.contains("batch dimension at position 1")), bad.toString());
        assertTrue(bad.stream().anyMatch(s -> s.contains("gradient of w has shape []")), bad.toString());
    }

    @Test
    void kernelVerifierReportsOutOfOrderKernelsAndOverlappingBuffers() {
        Graph g = new Graph();
        Node x = g.input("x", Shape.of(Shape.BATCH, 4), Node.Type.FLOAT);
        Node w = g.param("w", Shape.of(4, 4));
        Node h = g.unary(Op.TANH, g.matmul(x, w, false, false));
        Node y = g.unary(Op.RELU, g.matmul(h, w, false, false));
        List<Node> nodes = ModelPlan.needed(List.of(y));
        List<Kernel> ks = new ArrayList<>(FuseKernels.run(nodes, List.of(y), true));
        PlanMemory.Result ok = PlanMemory.run(ks, Set.of(), Set.of(y), true);
        assertTrue(KernelVerifier.verify(List.of(new ModelPlan.Entry("e", ks, ks.size(), ok, nodes))).isEmpty());

        List<Kernel> reversed = new ArrayList<>(ks);
        Collections.reverse(reversed);
        List<String> bad = KernelVerifier.verify(List.of(new ModelPlan.Entry("e", reversed, reversed.size(), ok, nodes)));
        assertTrue(bad.stream().anyMatch(s -> s.contains("before it is written")), bad.toString());

        // every slot at offset 0: buffers live together now overlap
        var zero = new java.util.HashMap<PlanMemory.Slot, Long>();
        ok.offsets().keySet().forEach(s -> zero.put(s, 0L));
        PlanMemory.Result clash = new PlanMemory.Result(ok.slotOf(), ok.workOf(), ok.workFixedOf(), zero, 0, 0, 0, 0, 0, 0);
        bad = KernelVerifier.verify(List.of(new ModelPlan.Entry("e", ks, ks.size(), clash, nodes)));
        assertTrue(bad.stream().anyMatch(s -> s.contains("share memory while both live")), bad.toString());
    }
}
