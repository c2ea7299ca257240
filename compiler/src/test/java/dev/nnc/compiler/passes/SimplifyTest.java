package dev.nnc.compiler.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.api.Nnc;
import dev.nnc.compiler.api.SourceFile;
import dev.nnc.compiler.ir.ModelIr;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Simplify on small programs: op counts of what the loss depends on, before and after. */
class SimplifyTest {

    private static ModelIr lower(String body, boolean simplify) {
        String program = "model M {\n    input x: f32[N, 4]\n    target y: f32[N, 4]\n    param w: f32[4, 4]\n"
                + body + "\n}\n";
        return Nnc.lower(new SourceFile("m.nn", program),
                CompileOptions.defaults().withMode(CompileOptions.Mode.INFERENCE).withSimplify(simplify)).getFirst();
    }

    /** Op histogram of the nodes the inference loss depends on. */
    private static Map<Op, Long> opsOfLoss(ModelIr m) {
        java.util.Set<Node> seen = new java.util.HashSet<>();
        java.util.ArrayDeque<Node> stack = new java.util.ArrayDeque<>(List.of(m.inferenceLoss()));
        while (!stack.isEmpty()) {
            Node n = stack.pop();
            if (seen.add(n)) stack.addAll(n.inputs());
        }
        return seen.stream().collect(Collectors.groupingBy(Node::op, Collectors.counting()));
    }

    @Test
    void sigmoidThenBinaryCrossEntropyBecomesTheLogitsForm() {
        String body = "    p = sigmoid(x @ w)\n    output p\n    loss binary_cross_entropy(p, y)";
        Map<Op, Long> before = opsOfLoss(lower(body, false));
        Map<Op, Long> after = opsOfLoss(lower(body, true));
        // before: log(clamp_prob(sigmoid(z))) and log(1 - clamp_prob(sigmoid(z)))
        assertEquals(2L, before.get(Op.LOG));
        assertEquals(1L, before.get(Op.CLAMP_PROB));
        assertEquals(1L, before.get(Op.SIGMOID));
        // after: -softplus(-z) and -softplus(z); no clamp, no sigmoid, no log
        assertEquals(2L, after.get(Op.SOFTPLUS));
        assertTrue(!after.containsKey(Op.CLAMP_PROB) && !after.containsKey(Op.SIGMOID) && !after.containsKey(Op.LOG),
                after.toString());
    }

    @Test
    void logOfSoftmaxBecomesLogSoftmax() {
        String body = "    s = softmax(x @ w)\n    output s\n    loss -mean(sum(y * log(s), axis = 1))";
        Map<Op, Long> before = opsOfLoss(lower(body, false));
        Map<Op, Long> after = opsOfLoss(lower(body, true));
        assertEquals(1L, before.get(Op.SOFTMAX));
        assertEquals(1L, before.get(Op.LOG));
        assertEquals(1L, after.get(Op.LOG_SOFTMAX));
        assertTrue(!after.containsKey(Op.SOFTMAX) && !after.containsKey(Op.LOG), after.toString());
    }

    @Test
    void transposeFoldsIntoTheMatmulThatReadsIt() {
        // tied weights: x @ w, then back through transpose(w)
        String body = "    h = tanh(x @ w) @ transpose(w)\n    output h\n    loss mse(h, y)";
        Map<Op, Long> before = opsOfLoss(lower(body, false));
        Map<Op, Long> after = opsOfLoss(lower(body, true));
        assertEquals(1L, before.get(Op.TRANSPOSE));
        assertTrue(!after.containsKey(Op.TRANSPOSE), after.toString());
        assertEquals(2L, after.get(Op.MATMUL));
        // transpose(transpose(w)) is w in the builder, whether Simplify runs or not
        Map<Op, Long> twice = opsOfLoss(lower("    h = x @ (transpose(transpose(w)) * 2)\n    output h\n"
                + "    loss mse(h, y)", false));
        assertTrue(!twice.containsKey(Op.TRANSPOSE), twice.toString());
    }

    @Test
    void doubleNegationDisappears() {
        Map<Op, Long> after = opsOfLoss(lower("    h = -(-(x @ w))\n    output h\n    loss mse(h, y)", true));
        assertTrue(!after.containsKey(Op.NEG), after.toString());
    }

    @Test
    void aModelWithNothingToRewriteIsReturnedAsIs() {
        ModelIr m = lower("    h = tanh(x @ w)\n    output h\n    loss mse(h, y)", false);
        assertSame(m, Simplify.run(m));
        Function<ModelIr, Long> count = x -> (long) x.graph().nodes().size();
        assertEquals(count.apply(m), count.apply(Simplify.run(m)));
    }
}
