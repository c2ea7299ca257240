package dev.nnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The nnc command line, driven in process: exit codes, outputs, files. */
class CliTest {
    private static final Path SAMPLES = Path.of("../samples/src/main/nn");

    record Run(int code, String out, String err) {
    }

    static Run nnc(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void usageErrorsExitWith2() {
        assertEquals(2, nnc().code());
        assertEquals(2, nnc("frobnicate").code());
        assertEquals(2, nnc("compile", SAMPLES.resolve("logistic.nn").toString()).code(), "-d is required");
        Run r = nnc("inspect", SAMPLES.resolve("logistic.nn").toString(), "--stage", "bytecode");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("'bytecode' is not one of"), r.err());
        assertEquals(2, nnc("train", "x.nn", "--epochs", "zero").code());
    }

    @Test
    void missingFileIsAUserError() {
        Run r = nnc("check", "no/such/file.nn");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("no/such/file.nn: no such file"), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }

    @Test
    void checkAcceptsTheSamplesAndReportsErrorsWithCaret(@TempDir Path dir) throws IOException {
        for (String f : new String[] {"logistic.nn", "fashion_mlp.nn", "deep_mlp.nn"}) {
            Run r = nnc("check", SAMPLES.resolve(f).toString());
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains(": ok"));
        }
        Path bad = dir.resolve("bad.nn");
        Files.writeString(bad, "model M {\n    input x: f32[N, 4]\n    h = relu(y)\n    output h\n}\n");
        Run r = nnc("check", bad.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("bad.nn:3:14: error: undefined name 'y'"), r.err());
        assertTrue(r.err().contains("    h = relu(y)\n             ^"), r.err());
    }

    @Test
    void compileWritesOneClassPerModel(@TempDir Path dir) throws IOException {
        Run r = nnc("compile", SAMPLES.resolve("deep_mlp.nn").toString(), "-d", dir.toString(), "--package", "demo.models");
        assertEquals(0, r.code(), r.err());
        Path java = dir.resolve("demo/models/DeepMlp.java");
        assertTrue(Files.exists(java));
        String code = Files.readString(java);
        assertTrue(code.startsWith("package demo.models;"));
        assertTrue(code.contains("implements CompiledModel"));
        try (var files = Files.list(java.getParent())) {
            assertEquals(1, files.count(), "no temporary files left behind");
        }
        assertEquals(2, nnc("compile", SAMPLES.resolve("deep_mlp.nn").toString(), "-d", dir.toString(),
                "--package", "1bad").code());
    }

    @Test
    void inspectPrintsEveryStage() {
        String f = SAMPLES.resolve("fashion_mlp.nn").toString();
        assertTrue(nnc("inspect", f, "--stage", "ast").out().contains("model FashionMlp"));
        assertTrue(nnc("inspect", f, "--stage", "ir").out().contains("matmul"));
        assertTrue(nnc("inspect", f, "--stage", "grad").out().contains("cross_entropy_grad"));
        assertTrue(nnc("inspect", f, "--stage", "java").out().contains("public final class FashionMlp"));
        String fused = nnc("inspect", f, "--stage", "fused").out();
        assertTrue(fused.contains("kernels (unfused:"), fused);
        assertTrue(fused.contains("lines [5]"), fused);
        String json = nnc("inspect", f, "--stage", "fused", "--format", "json").out();
        assertTrue(json.contains("\"kernels\": [") && json.contains("\"unfused_kernel_count\":"), json);
        String mem = nnc("inspect", f, "--stage", "memory", "--format", "json", "--mode", "inference").out();
        for (String key : new String[] {"\"arena_bytes\"", "\"naive_bytes\"", "\"peak_live_bytes\"", "\"buffers\""}) {
            assertTrue(mem.contains(key), key + " in " + mem);
        }
        assertTrue(nnc("inspect", f, "--stage", "fused", "--format", "dot").out().startsWith("digraph"));
        assertEquals(2, nnc("inspect", f, "--stage", "ir", "--format", "json").code());
        String unfused = nnc("inspect", f, "--stage", "fused", "--passes", "simplify,plan").out();
        var counts = java.util.regex.Pattern.compile(": (\\d+) kernels \\(unfused: (\\d+),").matcher(unfused);
        assertTrue(counts.find(), unfused);
        // without fusion only the update differs: one loop against one per parameter tensor (4)
        assertEquals(Integer.parseInt(counts.group(2)) - 3, Integer.parseInt(counts.group(1)), unfused);
        Run bad = nnc("inspect", f, "--stage", "fused", "--passes", "fuse,inline");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("unknown pass 'inline'"), bad.err());
    }

    @Test
    void trainRunsOnAnIdxDirectoryAndSavesWeights(@TempDir Path dir) throws IOException {
        writeIdx(dir, "train", 300, 1);
        writeIdx(dir, "t10k", 100, 2);
        Path weights = dir.resolve("w.safetensors");
        Run r = nnc("train", SAMPLES.resolve("fashion_mlp.nn").toString(), "--data", dir.toString(), "--epochs", "2",
                "--batch", "32", "--no-progress", "--save", weights.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("epoch=1 train_loss="), r.out());
        assertTrue(r.out().matches("(?s).*epoch=2 train_loss=\\d+\\.\\d{4} test_loss=\\d+\\.\\d{4} "
                + "test_accuracy=\\d\\.\\d{4} samples_per_s=\\d+.*"), r.out());
        assertTrue(Files.size(weights) > 203530 * 4);
    }

    @Test
    void trainRejectsBadDataClearly(@TempDir Path dir) throws IOException {
        Files.write(dir.resolve("train-images-idx3-ubyte"), new byte[] {1, 2, 3});
        Run r = nnc("train", SAMPLES.resolve("fashion_mlp.nn").toString(), "--data", dir.toString(), "--no-progress");
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("nnc: "), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        assertEquals(1, nnc("train", SAMPLES.resolve("fashion_mlp.nn").toString(), "--data", "/no/such/dir").code());
    }

    /** Tiny IDX files with a learnable signal: the label's stripe is bright. */
    static void writeIdx(Path dir, String prefix, int count, long seed) throws IOException {
        Random rnd = new Random(seed);
        byte[] labels = new byte[count];
        byte[] pixels = new byte[count * 784];
        for (int i = 0; i < count; i++) {
            int label = rnd.nextInt(10);
            labels[i] = (byte) label;
            for (int p = 0; p < 784; p++) {
                boolean stripe = (p / 28) / 3 == label;
                pixels[i * 784 + p] = (byte) (stripe ? 200 + rnd.nextInt(50) : rnd.nextInt(40));
            }
        }
        try (DataOutputStream out = new DataOutputStream(gz(dir.resolve(prefix + "-images-idx3-ubyte.gz")))) {
            out.writeInt(0x00000803);
            out.writeInt(count);
            out.writeInt(28);
            out.writeInt(28);
            out.write(pixels);
        }
        try (DataOutputStream out = new DataOutputStream(gz(dir.resolve(prefix + "-labels-idx1-ubyte.gz")))) {
            out.writeInt(0x00000801);
            out.writeInt(count);
            out.write(labels);
        }
    }

    private static OutputStream gz(Path p) throws IOException {
        return new GZIPOutputStream(Files.newOutputStream(p));
    }

}
