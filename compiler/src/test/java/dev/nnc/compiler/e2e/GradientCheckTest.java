package dev.nnc.compiler.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.testing.GradCheck;
import dev.nnc.compiler.testing.Models;
import dev.nnc.runtime.Batch;
import dev.nnc.runtime.CompiledModel;
import dev.nnc.runtime.TensorInfo;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every op's gradient, through the whole pipeline: a generated f64 model per op, random shapes
 * and batch sizes (1 included), central finite differences against computeGradients.
 * {@code OpCoverageTest} checks that every op of the IR appears in one of these programs.
 */
class GradientCheckTest {
    static final double TOLERANCE = 1e-6;

    /** name, .nn body lines (x: [N, F], y: target of the given declaration), target declaration. */
    static Stream<Arguments> programs() {
        String regression = "target y: f32[N, U]";
        String labels = "target y: i32[N]";
        return Stream.of(
                op("relu", "h = relu(x @ w + b)", "loss mse(h, y)", regression),
                op("sigmoid", "h = sigmoid(x @ w + b)", "loss mse(h, y)", regression),
                op("tanh", "h = tanh(x @ w + b)", "loss mse(h, y)", regression),
                op("exp", "h = exp(x @ w * 0.5)", "loss mse(h, y)", regression),
                op("log", "h = log(exp(x @ w) + 1.5)", "loss mse(h, y)", regression),
                op("sqrt", "h = sqrt((x @ w) * (x @ w) + 1)", "loss mse(h, y)", regression),
                op("leaky_relu", "h = leaky_relu(x @ w + b, alpha = 0.1)", "loss mse(h, y)", regression),
                op("neg_sub_div", "h = -(x @ w) / (b * b + 1) - b", "loss mse(h, y)", regression),
                op("broadcast_mul", "h = (x @ w) * b + 2 * b", "loss mse(h, y)", regression),
                op("softmax", "h = softmax(x @ w + b)", "loss mse(h, y)", regression),
                op("log_softmax", "h = log_softmax(x @ w + b)", "loss mse(h, y)", regression),
                op("sum_axis", "h = sum(x @ w, axis = 1)", "loss mean((h - sum(y, axis = 1)) * (h - sum(y, axis = 1)))", regression),
                op("mean_axis0", "h = mean(tanh(x @ w), axis = 0) * b", "loss sum(h * h) + mse(x @ w, y)", regression),
                op("mean_all", "h = tanh(x @ w + b)", "loss mean(h * h)", regression),
                op("reshape_flatten", "h = flatten(reshape(tanh(x @ w), [-1, U, 1]))", "loss mse(h, y)", regression),
                op("matmul_params", "h = x @ (w @ v)", "loss mse(h, y)", regression.replace("U]", "U]") ),
                // tied weights: Simplify folds the transpose into the product; the second keeps a
                // transpose kernel (it feeds a multiply, not a product)
                op("transpose_tied", "h = tanh(x @ w) @ transpose(w)", "loss mean(h * h) + mse(x @ w, y)", regression),
                op("transpose_kernel", "h = x @ (w @ (transpose(v) * 1.5))", "loss mse(h, y)", regression),
                op("dense_block", "h = x |> dense(5) |> tanh |> dense(U)", "loss mse(h, y)", regression),
                op("dropout", "h = dropout(x @ w + b, 0.5)", "loss mse(h, y)", regression),
                // dropout over a relu read nowhere else is differentiated as one (dz = dh·s·[h>0]);
                // the second program reads the relu twice, so the rule must not apply there
                op("relu_dropout", "h = dropout(relu(x @ w + b), 0.5)", "loss mse(h, y)", regression),
                op("relu_dropout_shared", "r = relu(x @ w + b)\n    h = dropout(r, 0.5) + r", "loss mse(h, y)", regression),
                op("cross_entropy", "h = x @ w + b", "loss cross_entropy(h, y)", labels),
                op("cross_entropy_probs", "h = x @ w + b", "loss cross_entropy(h, softmax(y))", regression),
                op("binary_cross_entropy", "h = sigmoid(x @ w + b)", "loss binary_cross_entropy(h, y)", regression),
                // the same with logits that are exactly 0 (a dead relu and a zero bias): Simplify's
                // logits form must be smooth there
                op("bce_logits_at_zero", "h = sigmoid(relu(x @ w - 100) @ v)", "loss binary_cross_entropy(h, y)", regression),
                op("l2", "h = x @ w + b", "loss mse(h, y)\n    regularize l2(0.1)", regression),
                // a loss that is a plain sum: its gradient is a broadcast constant (fuzzer find)
                op("sum_loss", "h = x @ w", "loss sum(h)", regression));
    }

    private static Arguments op(String name, String body, String loss, String target) {
        return Arguments.of(name, body, loss, target);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("programs")
    void gradientMatchesFiniteDifferences(String name, String body, String loss, String target) {
        Random rnd = new Random(name.hashCode());
        for (int trial = 0; trial < 3; trial++) {
            int batch = trial == 0 ? 1 : 2 + rnd.nextInt(6);
            int f = 1 + rnd.nextInt(5);
            int u = 2 + rnd.nextInt(4);
            String program = """
                    model G {
                        input x: f32[N, F]
                        TARGET
                        param w: f32[F, U] = normal(0.7)
                        param v: f32[U, U] = normal(0.7)
                        param b: f32[U] = normal(0.5)
                        BODY
                        output h
                        LOSS
                        optimizer sgd(lr = 0.1)
                    }
                    """.replace("TARGET", target).replace("BODY", body).replace("LOSS", loss)
                    .replace("F]", f + "]").replace("F,", f + ",").replace("U]", u + "]").replace("U,", u + ",").replace("(U)", "(" + u + ")");
            CompiledModel m = Models.model(name + ".nn", program,
                    CompileOptions.defaults().withDtype(CompileOptions.Precision.F64), batch, 7 + trial);
            Batch b = randomBatch(m, batch, rnd);
            StringBuilder where = new StringBuilder();
            double err = GradCheck.maxRelativeError(m, b, where);
            assertTrue(err < TOLERANCE, () -> name + " (batch " + batch + ", F=" + f + ", U=" + u
                    + "): relative error " + err + " at " + where + "\n" + program);
        }
    }

    /**
     * {@code program} in f64 at batch 1 and 3 with randomized biases: the generated gradients against
     * finite differences of the generated loss, then everything against the reference interpreter
     * ({@link ReferenceOracleTest#check}).
     */
    static void checkThroughCodeAndInterpreter(String name, String program) {
        Random rnd = new Random(name.hashCode());
        for (int batch : new int[] {1, 3}) {
            CompiledModel m = Models.model(name + ".nn", program,
                    CompileOptions.defaults().withDtype(CompileOptions.Precision.F64), batch, 5);
            ReferenceOracleTest.randomizeParameters(m, rnd);
            Batch b = GradientCheckTest.randomBatch(m, batch, rnd);
            StringBuilder where = new StringBuilder();
            double err = GradCheck.maxRelativeError(m, b, where);
            assertTrue(err < GradientCheckTest.TOLERANCE, () -> name + " (batch " + batch + "): relative error " + err
                    + " at " + where + "\n" + program);
            ReferenceOracleTest.check(name + ".nn", program, batch);
        }
    }

    /** Normal inputs; integer targets in range; float targets in (0, 1). */
    static Batch randomBatch(CompiledModel m, int rows, Random rnd) {
        Batch b = m.newBatch().size(rows);
        for (int i = 0; i < m.feeds().size(); i++) {
            TensorInfo f = m.feeds().get(i);
            int count = f.size(rows);
            if (f.dtype() == dev.nnc.runtime.DType.I32) {
                int classes = m.outputs().getFirst().rowSize();
                int[] a = new int[count];
                for (int k = 0; k < count; k++) a[k] = rnd.nextInt(classes);
                b.set(i, a);
            } else {
                double[] a = new double[count];
                for (int k = 0; k < count; k++) {
                    a[k] = f.role() == TensorInfo.Role.TARGET ? 0.1 + 0.8 * rnd.nextDouble() : rnd.nextGaussian();
                }
                b.set(i, a);
            }
        }
        return b;
    }
}
