package dev.nnc.compiler.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.testing.Models;
import dev.nnc.runtime.Batch;
import dev.nnc.runtime.CompiledModel;
import dev.nnc.runtime.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Passes never change what a model computes: for every sample and for random networks, outputs,
 * losses and gradients (f64) agree to 1e-12 relative (values below a thousandth of the largest at
 * that scale) with Simplify, FuseKernels and PlanMemory on and off.
 */
class PassEquivalenceTest {
    static Stream<Arguments> programs() throws IOException {
        List<Arguments> all = new ArrayList<>();
        for (String f : List.of("logistic.nn", "fashion_mlp.nn", "deep_mlp.nn", "lenet5.nn", "row_rnn.nn")) {
            all.add(Arguments.of(f, Files.readString(Path.of("../samples/src/main/nn", f))));
        }
        Random rnd = new Random(42);
        for (int i = 0; i < 12; i++) all.add(Arguments.of("random_" + i + ".nn", RandomNetworks.program(rnd)));
        return all.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("programs")
    void fusionAndPlanningPreserveResults(String name, String program) {
        CompileOptions base = CompileOptions.defaults().withDtype(CompileOptions.Precision.F64);
        CompileOptions[] variants = {base.withFuse(false).withPlan(false).withSimplify(false),
            base.withFuse(true).withPlan(false), base.withFuse(false).withPlan(true), base.withSimplify(false), base};
        List<double[]> results = new ArrayList<>();
        for (CompileOptions o : variants) {
            verifyEveryLevel(name, program, o);
            CompiledModel m = Models.model(name, program, o, 5, 11);
            Batch b = GradientCheckTest.randomBatch(m, 5, new Random(3));
            results.add(observe(m, b));
        }
        double[] ref = results.getFirst();
        // a value far below the others (a gradient that is a difference of larger terms) is compared
        // at a thousandth of the largest value's scale: the variants may run a product through
        // kernels that sum in different orders (tiles, dot products, k-slices), which moves such a
        // value by a few ulps of the terms it cancels, not of itself
        double floor = 1e-3 * java.util.Arrays.stream(ref).map(Math::abs).filter(Double::isFinite).max().orElse(0);
        for (int v = 1; v < results.size(); v++) {
            double[] got = results.get(v);
            assertEquals(ref.length, got.length);
            for (int i = 0; i < ref.length; i++) {
                double err = Math.abs(ref[i] - got[i])
                        / Math.max(1e-300, Math.max(floor, Math.max(Math.abs(ref[i]), Math.abs(got[i]))));
                final int fi = i;
                final int fv = v;
                assertTrue(ref[i] == got[i] || err <= 1e-12,
                        () -> name + " variant " + fv + " value " + fi + ": " + ref[fi] + " vs " + got[fi]);
            }
        }
    }

    /** A batch smaller than the model's maximum gives the same numbers (offsets scale with maxBatch). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("programs")
    void smallerBatchThanMaximumGivesTheSameResults(String name, String program) {
        CompileOptions o = CompileOptions.defaults().withDtype(CompileOptions.Precision.F64);
        CompiledModel exact = Models.model(name, program, o, 5, 11);
        CompiledModel roomy = Models.model(name, program, o, 13, 11);
        double[] a = observe(exact, GradientCheckTest.randomBatch(exact, 5, new Random(3)));
        double[] b = observe(roomy, GradientCheckTest.randomBatch(roomy, 5, new Random(3)));
        assertEquals(a.length, b.length);
        for (int i = 0; i < a.length; i++) {
            final int fi = i;
            assertTrue(a[i] == b[i] || Math.abs(a[i] - b[i]) <= 1e-12 * Math.max(Math.abs(a[i]), Math.abs(b[i])),
                    () -> name + " value " + fi + ": " + a[fi] + " vs " + b[fi]);
        }
    }

    /**
     * The graph and kernel verifiers find nothing after every pass of the pipeline in this
     * configuration (the graph verifier after graph passes, the schedule verifier after fuse, order
     * and place, the whole kernel verifier, memory included, after plan-memory).
     */
    static void verifyEveryLevel(String name, String program, CompileOptions o) {
        List<String> bad = new ArrayList<>();
        int[] checked = new int[1];
        dev.nnc.compiler.pipeline.Pipeline.Listener verify = (pass, where, stage, changed) -> {
            checked[0]++;
            switch (stage) {
                case dev.nnc.compiler.ir.ModelIr m -> bad.addAll(dev.nnc.compiler.ir.GraphVerifier.verify(m));
                case dev.nnc.compiler.kernel.ModelPlan.Entry e ->
                        bad.addAll(dev.nnc.compiler.kernel.KernelVerifier.verify(List.of(e)));
                case List<?> kernels -> bad.addAll(dev.nnc.compiler.kernel.KernelVerifier.verifySchedule(where,
                        kernels.stream().map(k -> (dev.nnc.compiler.kernel.Kernel) k).toList()));
                case dev.nnc.compiler.kernel.Layout l -> { // shared places stay below where the planned ones start
                    l.globals().forEach((n, p) -> {
                        long end = p.offset() + n.shape().staticSize();
                        if (p.region() == dev.nnc.compiler.kernel.Layout.Region.BATCHED && end > l.batchedBase()
                                || p.region() == dev.nnc.compiler.kernel.Layout.Region.FIXED && end > l.fixedBase()) {
                            bad.add("layout: " + n + " at " + p + " runs past the planned region");
                        }
                    });
                }
                default -> bad.add(pass.name() + ": unexpected stage " + stage);
            }
            if (!bad.isEmpty()) bad.add("  after " + pass.name() + " on " + where);
        };
        var r = dev.nnc.compiler.api.Nnc.compile(new dev.nnc.compiler.api.SourceFile(name, program), o, verify);
        assertTrue(r.ok(), r.formatDiagnostics());
        assertTrue(checked[0] >= 8, name + ": only " + checked[0] + " pass reports");
        assertTrue(bad.isEmpty(), name + " " + o + ": " + bad);
    }

    /** Loss, training loss, outputs, gradients and parameters after one step, as one vector. */
    static double[] observe(CompiledModel m, Batch b) {
        List<Double> v = new ArrayList<>();
        v.add(m.loss(b));
        for (int o = 0; o < m.outputs().size(); o++) {
            double[] out = new double[b.size() * m.outputs().get(o).rowSize()];
            m.copyOutput(o, out, 0);
            for (double d : out) v.add(d);
        }
        v.add(m.trainingLoss(b));
        v.add(m.computeGradients(b));
        for (TensorInfo p : m.parameters()) for (double d : m.gradient(p.name())) v.add(d);
        m.trainStep(b);
        m.trainStep(b);
        for (TensorInfo p : m.parameters()) for (double d : m.parameter(p.name())) v.add(d);
        return v.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
