package dev.nnc.compiler.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.api.CompileResult;
import dev.nnc.compiler.api.Nnc;
import dev.nnc.compiler.api.SourceFile;
import dev.nnc.compiler.testing.Models;
import dev.nnc.runtime.Batch;
import dev.nnc.runtime.CompiledModel;
import dev.nnc.runtime.Parallel;
import dev.nnc.runtime.TensorInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Kernels that run on the pool's threads as small classes (products with tile epilogues, loops over
 * chunks of rows): the results do not depend on how many threads share the work, sums included; a
 * kernel class never takes the model's name; tensor names never collide with the generated locals;
 * a pool fused at the end of its convolution's chunks gives the interpreter's values.
 */
class PoolKernelsTest {
    /** The model is named like its first kernel ("matmul + add + tanh") on purpose. */
    private static final String NET = """
            model MatmulAddTanh {
                input  x: f32[N, 64]
                target y: i32[N]
                logits = dense(dropout(relu(dense(tanh(dense(x, 256)), 128)), 0.3), 10)
                output logits
                loss cross_entropy(logits, y)
                optimizer adam(lr = 0.01)
            }
            """;

    private int saved;

    @BeforeEach
    void save() {
        saved = Parallel.threads();
    }

    @AfterEach
    void restore() {
        Parallel.setThreads(saved);
    }

    /** The Java source nnc writes for {@code program}, which must compile. */
    private static String source(String file, String program) {
        CompileResult r = Nnc.compile(new SourceFile(file, program), CompileOptions.defaults());
        assertTrue(r.ok(), r.formatDiagnostics());
        return r.sources().getFirst().code();
    }

    @Test
    void epiloguesRunPerTileAndTheKernelClassAvoidsTheModelName() {
        String java = source("m.nn", NET);
        assertTrue(java.contains("implements Gemm.Epilogue"), "no tile epilogue in:\n" + java);
        assertTrue(java.contains(", this, true);"), "no epilogue summing down whole columns in:\n" + java);
        assertEquals(1, java.split("class MatmulAddTanh\\b", -1).length - 1, "one class of the model's name");
    }

    @Test
    void resultsDoNotDependOnTheNumberOfThreads() {
        threadCountDoesNotMatter(NET);
    }

    /**
     * The same with tile epilogues whose loops run in Simd lanes (dropout, leaky ReLU, sqrt, column
     * sums), the products wide enough (96 × 300 × 200) to be split between threads.
     */
    @Test
    void laneLoopsDoNotDependOnTheNumberOfThreadsEither() {
        String wide = SimdLoopsTest.ALL_LANE_OPS.replace("f32[N, 37]", "f32[N, 200]").replace("dense(40)", "dense(300)");
        threadCountDoesNotMatter(wide);
    }

    private static void threadCountDoesNotMatter(String program) {
        List<List<double[]>> runs = new ArrayList<>();
        for (int threads : new int[] {1, 2, 4}) {
            Parallel.setThreads(threads);
            CompiledModel m = Models.model("m.nn", program, CompileOptions.defaults(), 96, 7);
            Random rnd = new Random(5);
            List<double[]> seen = new ArrayList<>();
            for (int step = 0; step < 3; step++) {
                Batch b = GradientCheckTest.randomBatch(m, 96 - step, rnd);
                seen.add(new double[] {m.trainStep(b)});
                for (TensorInfo p : m.parameters()) seen.add(m.gradient(p.name()));
            }
            for (TensorInfo p : m.parameters()) seen.add(m.parameter(p.name()));
            runs.add(seen);
        }
        for (int run = 1; run < runs.size(); run++) {
            for (int i = 0; i < runs.getFirst().size(); i++) {
                double[] a = runs.getFirst().get(i);
                double[] b = runs.get(run).get(i);
                for (int k = 0; k < a.length; k++) {
                    assertEquals(a[k], b[k], 0.0, "value " + i + "[" + k + "] with run " + run);
                }
            }
        }
    }

    /**
     * Row-wise ops whose rows are independent run in chunks of samples on the pool: a softmax and a
     * log-softmax over [N, 3, 350] (three rows per sample) and a 1030-class cross-entropy gradient
     * (its mean's divisor is the whole batch's rows, not a chunk's). Both are wide enough (over 1024
     * elements per sample) for the pool to take single chunks.
     */
    static final String ROWS = """
            model Rows {
                input  x: f32[N, 24]
                target y: i32[N]
                z = reshape(dense(x, 1050), [-1, 3, 350])
                s = flatten(softmax(z) * log_softmax(z))
                logits = dense(s, 1030)
                output logits
                loss cross_entropy(logits, y)
                optimizer sgd(lr = 0.1)
            }
            """;

    @Test
    void rowWiseKernelsRunInChunksOfSamplesOnThePool() {
        String java = source("rows.nn", ROWS);
        for (String op : List.of("softmax", "log_softmax", "cross_entropy_grad")) {
            int at = java.indexOf("Fuses " + op + " over");
            assertTrue(at >= 0, op + " has no kernel of its own in:\n" + java);
            String doc = java.substring(at, java.indexOf("*/", at));
            assertTrue(doc.contains("Runs on the pool in chunks of 16 samples"), op + ": " + doc);
        }
        assertTrue(java.contains("int samples = Math.min(n - first, 16);"), java);
    }

    @Test
    void rowWiseKernelsDoNotDependOnTheNumberOfThreads() {
        threadCountDoesNotMatter(ROWS);
    }

    /** Three chunks, the last one of one sample: outputs, losses and gradients against the interpreter. */
    @Test
    void rowWiseKernelsInChunksGiveTheInterpretersValues() {
        ReferenceOracleTest.check("rows.nn", ROWS, 33);
    }

    /**
     * A forward convolution's epilogue (bias, ReLU, the pool) runs inside the convolution, chunk by
     * chunk, in the runtime's chunks ({@code Conv.CHUNK} samples) which are the kernel's.
     */
    @Test
    void convolutionEpiloguesRunInsideTheConvolution() throws java.io.IOException {
        String lenet = java.nio.file.Files.readString(java.nio.file.Path.of("../samples/src/main/nn/lenet5.nn"));
        String java = source("lenet5.nn", lenet);
        assertEquals(2, java.split("conv\\.forward\\(n, a, aOff, b, bOff, c, cOff, work, workOff, this\\);", -1).length - 1,
                "both convolutions run their epilogues:\n" + java);
        assertTrue(java.contains("chunk * " + dev.nnc.runtime.Conv.CHUNK + ";"), "the kernel's chunks are the runtime's");
    }

    /** The same network twice: tensors named like the generated code's locals, and plainly. */
    private static final String NAMES = """
            model Names {
                input  x: f32[N, 6]
                target y: f32[N, 5]
                param  o: f32[6, 32] = xavier_uniform
                param  r: f32[32, 5] = xavier_uniform
                param  c: f32[5] = zeros
                chunk = relu(x @ o)
                lo = dropout(chunk, 0.25)
                hi = lo @ r + c
                v3 = sigmoid(hi)
                i0 = v3 * 2
                output i0
                loss mse(i0, y)
                optimizer adam(lr = 0.01)
                regularize l2(0.001)
            }
            """;

    @Test
    void tensorNamesNeverCollideWithTheGeneratedCodesLocals() {
        String plain = NAMES.replaceAll("\\bc\\b", "w1").replaceAll("\\br\\b", "w2").replaceAll("\\bo\\b", "b1")
                .replaceAll("\\bchunk\\b", "h1").replaceAll("\\blo\\b", "h2").replaceAll("\\bhi\\b", "h3").replaceAll("\\bv3\\b", "h4")
                .replaceAll("\\bi0\\b", "h5");
        assertTrue(!plain.contains("chunk") && plain.contains("loss mse(h5, y)"), plain);
        List<double[]> losses = new ArrayList<>();
        for (String program : List.of(NAMES, plain)) {
            CompiledModel m = Models.model("names.nn", program, CompileOptions.defaults(), 40, 3);
            Random rnd = new Random(9);
            double[] l = new double[4];
            for (int step = 0; step < l.length; step++) l[step] = m.trainStep(GradientCheckTest.randomBatch(m, 40, rnd));
            losses.add(l);
        }
        for (int i = 0; i < losses.getFirst().length; i++) {
            assertTrue(Double.isFinite(losses.getFirst()[i]));
            assertEquals(losses.get(1)[i], losses.getFirst()[i], 0.0, "step " + i);
        }
    }

    /**
     * Pools of every kind fused into the loop of the convolution before them (bias, relu, then the
     * pool, per chunk of 16 samples), and one that cannot be (its input is the product itself, not a
     * value the loop computes): outputs, losses and gradients agree with the interpreter over 37
     * samples, three chunks with a short last one, with one thread and with four (the pools'
     * gradients run in chunks of samples on the pool as well).
     */
    private static final String POOLS = """
            model Pools {
                input  x: f32[N, 2, 9, 9]
                target y: i32[N]
                a = x |> conv2d(3, kernel = 3, pad = 1) |> relu |> max_pool(2)
                b = a |> conv2d(4, kernel = 2) |> tanh |> avg_pool(3, stride = 2, pad = 1)
                c = b |> conv2d(4, kernel = 1, bias = false) |> max_pool(2, stride = 1)
                logits = c |> flatten |> dense(3)
                output logits
                loss cross_entropy(logits, y)
                optimizer sgd(lr = 0.1)
            }
            """;

    @Test
    void poolsFusedIntoTheirConvolutionsLoopAgreeWithTheInterpreter() {
        String java = source("pools.nn", POOLS);
        assertTrue(java.contains("Fuses conv2d, add, relu, max_pool over"), "max_pool not fused in:\n" + java);
        assertTrue(java.contains("Fuses conv2d, add, tanh, avg_pool over"), "avg_pool not fused in:\n" + java);
        assertTrue(java.contains("Fuses max_pool over [N, 4, 1, 1]"), "the pool of a bare product stays whole:\n" + java);
        assertTrue(java.contains("class DAvgPoolGrad implements Parallel.RangeBody")
                && java.contains("class DMaxPoolGrad implements Parallel.RangeBody"), "pool gradients not chunked:\n" + java);
        for (int threads : new int[] {1, 4}) {
            Parallel.setThreads(threads);
            ReferenceOracleTest.check("pools.nn", POOLS, 37);
        }
    }
}
