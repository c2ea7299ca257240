package dev.nnc.compiler.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.testing.Models;
import dev.nnc.runtime.Batch;
import dev.nnc.runtime.CompiledModel;
import dev.nnc.runtime.TensorInfo;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The fused update loop against the optimizers' formulas, l2 on weights only (f64); the unfused
 * update ({@code --no-fuse}: one loop per operation, jvm/*.steps) against the fused one.
 */
class OptimizerUpdateTest {
    private static final String NET = """
            model U {
                input x: f32[N, 3]
                target y: i32[N]
                h = x |> dense(4) |> tanh
                logits = dense(h, 3)
                output logits
                loss cross_entropy(logits, y)
                optimizer OPT
                regularize l2(0.05)
            }
            """;

    private static CompiledModel model(String optimizer) {
        return Models.model("u.nn", NET.replace("OPT", optimizer),
                CompileOptions.defaults().withDtype(CompileOptions.Precision.F64), 6, 5);
    }

    private static Map<String, double[]> params(CompiledModel m, boolean grads) {
        Map<String, double[]> out = new HashMap<>();
        for (TensorInfo p : m.parameters()) out.put(p.name(), grads ? m.gradient(p.name()) : m.parameter(p.name()));
        return out;
    }

    /** The gradient the update applies: the data gradient plus l2 · w for weights (rank ≥ 2) only. */
    private static double effectiveGradient(TensorInfo p, Map<String, double[]> g, Map<String, double[]> w, int i) {
        boolean weight = p.shape().length >= 2;
        return g.get(p.name())[i] + (weight ? 0.05 * w.get(p.name())[i] : 0);
    }

    @Test
    void sgdAppliesL2ToWeightsOnly() {
        CompiledModel m = model("sgd(lr = 0.1)");
        Batch b = GradientCheckTest.randomBatch(m, 6, new Random(1));
        m.computeGradients(b);
        Map<String, double[]> w = params(m, false);
        Map<String, double[]> g = params(m, true);
        m.trainStep(b);
        for (TensorInfo p : m.parameters()) {
            double[] now = m.parameter(p.name());
            for (int i = 0; i < now.length; i++) {
                double expected = w.get(p.name())[i] - 0.1 * effectiveGradient(p, g, w, i);
                assertEquals(expected, now[i], 1e-12, p.name() + "[" + i + "]");
            }
        }
    }

    @Test
    void adamFollowsItsFormulaWithL2InTheGradient() {
        CompiledModel m = model("adam(lr = 0.01, beta1 = 0.8, beta2 = 0.9, eps = 1e-6)");
        Batch b = GradientCheckTest.randomBatch(m, 6, new Random(2));
        m.computeGradients(b);
        Map<String, double[]> w = params(m, false);
        Map<String, double[]> g = params(m, true);
        m.trainStep(b); // first step: m = (1-b1) g, v = (1-b2) g², bias-corrected to g and g²
        for (TensorInfo p : m.parameters()) {
            double[] now = m.parameter(p.name());
            for (int i = 0; i < now.length; i++) {
                double gi = effectiveGradient(p, g, w, i);
                double mHat = (1 - 0.8) * gi / (1 - 0.8);
                double vHat = (1 - 0.9) * gi * gi / (1 - 0.9);
                double expected = w.get(p.name())[i] - 0.01 * mHat / (Math.sqrt(vHat) + 1e-6);
                assertEquals(expected, now[i], 1e-12, p.name() + "[" + i + "]");
            }
        }
    }

    @Test
    void nesterovMomentumOverTwoSteps() {
        CompiledModel m = model("sgd(lr = 0.1, momentum = 0.5, nesterov = true)");
        Batch b = GradientCheckTest.randomBatch(m, 6, new Random(3));
        Map<String, double[]> velocity = new HashMap<>();
        for (int step = 0; step < 2; step++) {
            m.computeGradients(b);
            Map<String, double[]> w = params(m, false);
            Map<String, double[]> g = params(m, true);
            m.trainStep(b);
            for (TensorInfo p : m.parameters()) {
                double[] v = velocity.computeIfAbsent(p.name(), k -> new double[w.get(k).length]);
                double[] now = m.parameter(p.name());
                for (int i = 0; i < now.length; i++) {
                    double gi = effectiveGradient(p, g, w, i);
                    v[i] = 0.5 * v[i] + gi;
                    assertEquals(w.get(p.name())[i] - 0.1 * (gi + 0.5 * v[i]), now[i], 1e-12, p.name() + "[" + i + "]");
                }
            }
        }
    }

    /** Same arithmetic in the same order: the unfused update must give bit-identical parameters. */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = ';', value = {
        "sgd(lr = 0.1); F32", "sgd(lr = 0.1, momentum = 0.9); F32", "sgd(lr = 0.1, momentum = 0.9, nesterov = true); F64",
        "adam(lr = 0.01); F32", "adam(lr = 0.01); F64"})
    void unfusedUpdateEqualsFusedUpdate(String optimizer, CompileOptions.Precision dtype) {
        CompileOptions o = CompileOptions.defaults().withDtype(dtype);
        String program = NET.replace("OPT", optimizer);
        CompiledModel fused = Models.model("u.nn", program, o, 6, 5);
        CompiledModel unfused = Models.model("u.nn", program, o.withFuse(false), 6, 5);
        Random rnd = new Random(3);
        for (int step = 0; step < 4; step++) {
            Batch b = GradientCheckTest.randomBatch(fused, 6, rnd);
            fused.trainStep(b);
            unfused.trainStep(b);
        }
        for (TensorInfo p : fused.parameters()) {
            double[] a = fused.parameter(p.name());
            double[] u = unfused.parameter(p.name());
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], u[i], 0.0, p.name() + "[" + i + "]");
            }
        }
    }
}
