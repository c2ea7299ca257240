package dev.nnc.compiler.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.api.CompileResult;
import dev.nnc.compiler.api.Nnc;
import dev.nnc.compiler.api.SourceFile;
import dev.nnc.compiler.testing.Models;
import dev.nnc.runtime.Batch;
import dev.nnc.runtime.CompiledModel;
import dev.nnc.runtime.Lanes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Vector API form of the elementwise loops (the generated {@code Simd} class) computes the
 * scalar loops' bits: the same model compiled with and without it, in f32 and f64, gives the same
 * outputs, losses, gradients and parameters after training steps, bit for bit. The batch (13) and
 * the widths (37, 40, 19) leave scalar tails after the whole vectors of every loop.
 */
class SimdLoopsTest {
    /**
     * Every op with a lane form: add, sub, mul, div, neg, relu, leaky_relu (and their steps), sqrt,
     * dropout, clamp_prob, and in f32 exp, tanh and sigmoid (FloatMath's); the loss (a log) stays scalar.
     */
    static final String ALL_LANE_OPS = """
            model Lanes {
                input  x: f32[N, 37]
                target y: f32[N, 19]
                h = x |> dense(40) |> leaky_relu(alpha = 0.1) |> dropout(0.3)
                g = relu(h) * h - h / 3 + sqrt(relu(h) + 1) - -h + tanh(h) * exp(-relu(h))
                p = sigmoid(dense(g, 19))
                output p
                loss binary_cross_entropy(p, y)
                optimizer adam(lr = 0.01)
                regularize l2(0.01)
            }
            """;

    static Stream<Arguments> programs() throws IOException {
        List<Arguments> all = new ArrayList<>();
        all.add(Arguments.of("all_lane_ops.nn", ALL_LANE_OPS));
        // softmax rows of 350 and cross-entropy gradient rows of 1030: their exponentials in RowLanes
        all.add(Arguments.of("wide_rows.nn", PoolKernelsTest.ROWS));
        for (String f : List.of("fashion_mlp.nn", "deep_mlp.nn", "lenet5.nn", "row_rnn.nn")) {
            all.add(Arguments.of(f, Files.readString(Path.of("../samples/src/main/nn", f))));
        }
        Random rnd = new Random(7);
        for (int i = 0; i < 6; i++) all.add(Arguments.of("random_" + i + ".nn", RandomNetworks.program(rnd)));
        return all.stream();
    }

    @Test
    void theTestJvmRunsTheLanes() {
        assertTrue(Lanes.ON, "surefire starts the JVM with --add-modules jdk.incubator.vector");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("programs")
    void vectorLoopsComputeTheScalarLoopsBits(String name, String program) {
        for (CompileOptions.Precision p : CompileOptions.Precision.values()) {
            CompileOptions o = CompileOptions.defaults().withDtype(p);
            double[] lanes = run(name, program, o.withVectorLoops(true));
            double[] scalar = run(name, program, o.withVectorLoops(false));
            assertEquals(scalar.length, lanes.length);
            for (int i = 0; i < scalar.length; i++) {
                final int fi = i;
                assertEquals(Double.doubleToLongBits(scalar[i]), Double.doubleToLongBits(lanes[i]),
                        () -> name + " " + p + " value " + fi + ": scalar " + scalar[fi] + ", lanes " + lanes[fi]);
            }
        }
    }

    private static double[] run(String name, String program, CompileOptions o) {
        CompiledModel m = Models.model(name, program, o, 13, 5);
        Batch b = GradientCheckTest.randomBatch(m, 13, new Random(9));
        return PassEquivalenceTest.observe(m, b);
    }

    @Test
    void onlyCorrectlyRoundedLoopsGetALaneForm() {
        String gen = source(ALL_LANE_OPS, CompileOptions.defaults());
        assertTrue(gen.contains("private static final class Simd"), gen);
        String simd = gen.substring(gen.indexOf("private static final class Simd"));
        assertTrue(simd.contains("VectorLanes.dropKeepFloat("), "the dropout mask runs in lanes");
        assertTrue(simd.contains(".sqrt()"), "sqrt rounds once: it has a lane form");
        // in f32, exp, tanh and sigmoid are FloatMath's, and their lanes VectorLanes' copies of it
        for (String f : List.of("exp", "tanh", "sigmoid")) {
            assertTrue(simd.contains("VectorLanes." + f + "("), f + " runs in lanes:\n" + simd);
            assertTrue(gen.contains("FloatMath." + f + "("), f + "'s scalar form is FloatMath's");
        }
        // the loss's logarithm keeps its loop scalar: no Simd method computes one
        assertFalse(simd.contains("VectorLanes.log") || simd.contains("LOG") || simd.contains("Math."), simd);
        // every call of a Simd method is guarded by Lanes.ON, with the scalar loop going on after it
        Matcher calls = Pattern.compile("int i(\\d+) = Lanes\\.ON\\s+\\? Simd\\.\\w+\\([^;]*\\)\\s+: (\\w+);\\n\\s*for \\(; i\\1 < ")
                .matcher(gen);
        int guarded = 0;
        while (calls.find()) guarded++;
        int all = gen.split("Simd\\.\\w+\\(", -1).length - 1;
        assertTrue(guarded >= 3, gen); // the forward epilogues and the backward one
        assertEquals(all, guarded, "every Simd call is a guarded loop start");
    }

    /** In f64 the transcendentals are Math's, which have no lane form with the same bits: scalar. */
    @Test
    void doublePrecisionTranscendentalsStayScalar() {
        String gen = source(ALL_LANE_OPS, CompileOptions.defaults().withDtype(CompileOptions.Precision.F64));
        int at = gen.indexOf("private static final class Simd");
        String simd = at < 0 ? "" : gen.substring(at);
        assertFalse(gen.contains("FloatMath.exp(") || gen.contains("FloatMath.tanh(") || gen.contains("FloatMath.sigmoid("),
                "double kernels call Math");
        assertTrue(gen.contains("Math.tanh(") && gen.contains("Math.exp("), gen);
        for (String f : List.of("exp", "tanh", "sigmoid")) assertFalse(simd.contains(f), f + " in lanes:\n" + simd);
    }

    @Test
    void withoutVectorLoopsTheSourceNeedsNoVectorModule() {
        String gen = source(ALL_LANE_OPS, CompileOptions.defaults().withVectorLoops(false));
        assertFalse(gen.contains("jdk.incubator.vector"), gen);
        assertFalse(gen.contains("Simd"), gen);
        assertFalse(gen.contains("Lanes.ON"), gen);
        assertFalse(gen.contains("VectorLanes"), gen);
    }

    @Test
    void aModelNamedSimdKeepsItsNameAndTheLoopsTheirs() {
        String program = ALL_LANE_OPS.replace("model Lanes", "model Simd");
        CompiledModel m = Models.model("simd.nn", program, CompileOptions.defaults(), 4, 1);
        assertEquals("Simd", m.name());
        String gen = source(program, CompileOptions.defaults());
        assertTrue(gen.contains("public final class SimdModel"), "Simd is a generator word: the class gets another name");
        assertTrue(gen.contains("private static final class Simd "), gen);
    }

    private static String source(String program, CompileOptions o) {
        CompileResult r = Nnc.compile(new SourceFile("lanes.nn", program), o);
        assertTrue(r.ok(), r.formatDiagnostics());
        return r.sources().getFirst().code();
    }
}
