package dev.nnc.compiler.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.api.Nnc;
import dev.nnc.compiler.api.SourceFile;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.ModelIr;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Common subexpressions (hash-consing in the graph builder) and dead code (each entry point
 * computes only what its roots need; training keeps only what backward reads).
 */
class CseAndDceTest {
    @Test
    void theSameExpressionIsOneNode() {
        Graph g = new Graph();
        Node x = g.input("x", Shape.of(Shape.BATCH, 3), Node.Type.FLOAT);
        Node a = g.unary(Op.TANH, g.binary(Op.MUL, x, x));
        Node b = g.unary(Op.TANH, g.binary(Op.MUL, x, x));
        assertSame(a, b);
        assertEquals(3, g.nodes().size(), "x, x*x, tanh");
        assertSame(x, g.binary(Op.MUL, x, g.constant(1)), "x*1 folds to x");
    }

    @Test
    void aProgramThatRepeatsItselfComputesOnce() {
        String program = """
                model M {
                    input x: f32[N, 4]
                    param w: f32[4, 4]
                    a = tanh(x @ w)
                    b = tanh(x @ w)
                    output a + b
                }
                """;
        ModelIr m = Nnc.lower(new SourceFile("m.nn", program), CompileOptions.defaults()).getFirst();
        assertEquals(1, m.graph().nodes().stream().filter(n -> n.op() == Op.MATMUL).count());
        assertEquals(1, m.graph().nodes().stream().filter(n -> n.op() == Op.TANH).count());
    }

    @Test
    void trainingStoresOnlyWhatBackwardReadsAndPredictSkipsTheLoss() {
        String program = """
                model M {
                    input x: f32[N, 4]
                    target y: i32[N]
                    h = x |> dense(8) |> tanh
                    logits = dense(h, 3)
                    output softmax(logits)
                    loss cross_entropy(logits, y)
                }
                """;
        ModelIr m = Nnc.lower(new SourceFile("m.nn", program), CompileOptions.defaults()).getFirst();
        ModelPlan plan = new ModelPlan(m, new ModelPlan.Options(true, true, true));
        List<Node> trained = plan.train().kernels().stream().flatMap(k -> k.ops().stream()).toList();
        assertFalse(trained.stream().anyMatch(n -> n.op() == Op.SOFTMAX), "the output is not computed in training");
        List<Node> stored = plan.train().forward().stream().flatMap(k -> k.outputs().stream()).toList();
        // backward reads tanh's output (its derivative and the next weight gradient) and the logits (for
        // the cross-entropy gradient): the pre-activations are never stored
        assertTrue(stored.stream().noneMatch(n -> n.op() == Op.ADD && n.label() == null), stored.toString());
        assertTrue(plan.predict().kernels().stream().flatMap(k -> k.ops().stream())
                .noneMatch(n -> n.op() == Op.CROSS_ENTROPY), "predict computes no loss");
    }

    @Test
    void reluThenDropoutKeepsNeitherThePreActivationNorTheMask() {
        String program = """
                model M {
                    input x: f32[N, 4]
                    target y: i32[N]
                    h = x |> dense(8) |> relu |> dropout(0.2)
                    logits = dense(h, 3)
                    output logits
                    loss cross_entropy(logits, y)
                }
                """;
        ModelIr m = Nnc.lower(new SourceFile("m.nn", program), CompileOptions.defaults()).getFirst();
        ModelPlan plan = new ModelPlan(m, new ModelPlan.Options(true, true, true));
        List<Node> stored = plan.train().forward().stream().flatMap(k -> k.outputs().stream()).toList();
        // backward reads h (also the classifier's weight-gradient operand) and the logits; the mask is
        // drawn once in the forward kernel and never written, the pre-activation never either
        assertTrue(stored.stream().noneMatch(n -> n.op() == Op.DROPOUT_MASK || n.op() == Op.ADD && n.label() == null
                || n.op() == Op.RELU), stored.toString());
        assertTrue(plan.train().forward().stream().flatMap(k -> k.ops().stream())
                .anyMatch(n -> n.op() == Op.DROPOUT_MASK), "the mask is still applied");
    }
}
