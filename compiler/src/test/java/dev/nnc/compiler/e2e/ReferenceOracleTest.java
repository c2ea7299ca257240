package dev.nnc.compiler.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.api.Nnc;
import dev.nnc.compiler.api.SourceFile;
import dev.nnc.compiler.ir.Attrs;
import dev.nnc.compiler.ir.ModelIr;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.reference.Interpreter;
import dev.nnc.compiler.testing.Models;
import dev.nnc.runtime.Batch;
import dev.nnc.runtime.CompiledModel;
import dev.nnc.runtime.Rng;
import dev.nnc.runtime.TensorInfo;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The generated code against the reference interpreter, which shares nothing with fusion, planning
 * or code generation: for every sample and random network, in f64 and f32, the outputs, the
 * inference loss and the training loss (dropout active, the same masks) agree; in f64 the
 * generated gradients agree with central finite differences of the interpreter's training loss,
 * and with the interpreter's evaluation of the backward graph.
 */
class ReferenceOracleTest {
    static Stream<Arguments> programs() throws IOException {
        return PassEquivalenceTest.programs();
    }

    private static final int ROWS = 5;
    private static final long SEED = 11;

    @ParameterizedTest(name = "{0}")
    @MethodSource("programs")
    void generatedCodeAgreesWithTheInterpreter(String name, String program) {
        check(name, program, ROWS);
    }

    /**
     * The generated code of {@code program} (f64 and f32) against the interpreter on a random batch
     * of {@code rows}: outputs, losses, the backward graph, and finite differences of the interpreter.
     */
    static void check(String name, String program, int rows) {
        for (CompileOptions.Precision p : List.of(CompileOptions.Precision.F64, CompileOptions.Precision.F32)) {
            CompileOptions o = CompileOptions.defaults().withDtype(p);
            boolean f64 = p == CompileOptions.Precision.F64;
            double tol = f64 ? 1e-10 : 3e-4;
            CompiledModel m = Models.model(name, program, o, rows, SEED);
            randomizeParameters(m, new Random(7));
            ModelIr ir = Nnc.lower(new SourceFile(name, program), o).getFirst();
            Batch b = GradientCheckTest.randomBatch(m, rows, new Random(3));
            Interpreter.Env env = env(m, ir, b, f64);

            m.predict(b);
            List<double[]> outs = Interpreter.outputs(ir, env);
            for (int i = 0; i < outs.size(); i++) {
                double[] got = new double[outs.get(i).length];
                m.copyOutput(i, got, 0);
                assertClose(name + " " + p + " output " + i, outs.get(i), got, tol);
            }
            if (ir.inferenceLoss() != null) {
                assertClose(name + " " + p + " loss", new double[] {Interpreter.inferenceLoss(ir, env)},
                        new double[] {m.loss(b)}, tol);
            }
            double training = Interpreter.trainingLoss(ir, env);
            assertClose(name + " " + p + " training loss", new double[] {training},
                    new double[] {m.trainingLoss(b)}, tol);
            if (!f64) continue;
            m.computeGradients(b);
            Map<String, double[]> backward = Interpreter.gradients(ir, env);
            Random pick = new Random(5);
            for (TensorInfo t : m.parameters()) {
                double[] generated = m.gradient(t.name());
                assertClose(name + " gradient of " + t.name() + " (backward graph)", backward.get(t.name()), generated,
                        1e-9);
                double[] w = env.params().get(t.name()).clone();
                for (int s = 0; s < Math.min(8, w.length); s++) {
                    int i = w.length <= 8 ? s : pick.nextInt(w.length);
                    double orig = w[i];
                    double eps = 1e-5;
                    w[i] = orig + eps;
                    double up = Interpreter.trainingLoss(ir, env.withParam(t.name(), w.clone()));
                    w[i] = orig - eps;
                    double down = Interpreter.trainingLoss(ir, env.withParam(t.name(), w.clone()));
                    w[i] = orig;
                    double numeric = (up - down) / (2 * eps);
                    double err = Math.abs(numeric - generated[i])
                            / Math.max(1e-3, Math.abs(numeric) + Math.abs(generated[i]));
                    final int fi = i;
                    assertTrue(err < 1e-6, () -> name + " d/d " + t.name() + "[" + fi + "]: generated " + generated[fi]
                            + ", finite differences of the interpreter " + numeric);
                }
            }
        }
    }

    /**
     * Biases (1-D parameters) drawn anew (normal, std 0.5): they start at zero, and a dropped row
     * of inputs then puts a ReLU exactly on its kink, where finite differences see half a slope.
     * Weights keep their initialization: large random weights make a long recurrence chaotic, and
     * then f32 and f64 part ways after a few steps whatever the code.
     */
    static void randomizeParameters(CompiledModel m, Random rnd) {
        for (TensorInfo t : m.parameters()) {
            if (t.shape().length != 1) continue;
            double[] w = new double[m.parameter(t.name()).length];
            for (int i = 0; i < w.length; i++) w[i] = 0.5 * rnd.nextGaussian();
            m.setParameter(t.name(), w);
        }
    }

    /**
     * The batch's feeds (rounded to float for an f32 model, as it stores them), the model's
     * parameters, and the dropout masks the generated code draws at its current step:
     * {@code Rng.dropBits(Rng.dropKey(seed, step · masks + index), element) >= dropThreshold(rate)}.
     */
    static Interpreter.Env env(CompiledModel m, ModelIr ir, Batch b, boolean f64) {
        Map<String, double[]> inputs = new HashMap<>();
        for (int i = 0; i < m.feeds().size(); i++) {
            Object a = b.array(i);
            double[] v;
            if (a instanceof int[] ints) {
                v = new double[ints.length];
                for (int k = 0; k < v.length; k++) v[k] = ints[k];
            } else {
                v = ((double[]) a).clone();
                if (!f64) for (int k = 0; k < v.length; k++) v[k] = (float) v[k];
            }
            inputs.put(m.feeds().get(i).name(), v);
        }
        Map<String, double[]> params = new HashMap<>();
        for (TensorInfo t : m.parameters()) params.put(t.name(), m.parameter(t.name()));
        List<Node> masks = ir.graph().nodes().stream().filter(n -> n.op() == Op.DROPOUT_MASK).toList();
        long step = m.steps();
        Interpreter.MaskRule rule = (mask, element) -> {
            int key = Rng.dropKey(SEED, step * masks.size() + masks.indexOf(mask));
            return Rng.dropBits(key, Math.toIntExact(element)) >= Rng.dropThreshold(mask.attrs(Attrs.Dropout.class).rate());
        };
        return new Interpreter.Env(b.size(), inputs, params, rule);
    }

    static void assertClose(String what, double[] expected, double[] got, double tol) {
        assertEquals(expected.length, got.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double g = got[i];
            final int fi = i;
            assertTrue(Math.abs(e - g) <= tol * Math.max(1, Math.max(Math.abs(e), Math.abs(g))),
                    () -> what + "[" + fi + "]: interpreter " + e + ", generated " + g);
        }
    }
}
