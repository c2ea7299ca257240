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
import picocli.CommandLine;

/** The nnc command line, driven in process: exit codes, outputs, files. */
class CliTest {
    private static final Path SAMPLES = Path.of("../samples/src/main/nn");

    record Run(int code, String out, String err) {
    }

    /** Runs nnc the way picocli users do, with captured streams. */
    static Run nnc(String... args) {
        return run(new CommandLine(new Main()), args);
    }

    static Run run(CommandLine cl, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** A two-model file: a tiny softmax regression (the one trained) and a wider one. */
    private static final String TINY = """
            model Tiny {
                input  x: f32[N, 784]
                target y: i32[N]
                logits = x |> dense(10)
                output logits
                loss cross_entropy(logits, y)
                optimizer sgd(lr = 0.1)
            }

            model Wider {
                input  x: f32[N, 784]
                target y: i32[N]
                logits = x |> dense(32) |> relu |> dense(10)
                output logits
                loss cross_entropy(logits, y)
                optimizer adam(lr = 1e-3)
            }
            """;

    private static final String BAD = "model M {\n    input x: f32[N, 4]\n    h = relu(y)\n    output h\n}\n";

    /** A subcommand with a bug, to see how internal errors are reported. */
    @CommandLine.Command(name = "boom")
    static final class Boom extends NncCommand {
        @Override
        int execute() {
            throw new IllegalStateException("kaput");
        }
    }

    @Test
    void helpAndVersionExitWith0() {
        Run help = nnc("--help");
        assertEquals(0, help.code());
        for (String c : new String[] {"compile", "check", "inspect", "train"}) assertTrue(help.out().contains(c), help.out());
        Run trainHelp = nnc("train", "--help");
        assertEquals(0, trainHelp.code());
        assertTrue(trainHelp.out().contains("--epochs=E") && trainHelp.out().contains("(default: 5)"), trainHelp.out());
        assertFalse(trainHelp.out().contains("--mode="), "train always compiles in train mode");
        Run version = nnc("--version");
        assertEquals(0, version.code());
        assertTrue(version.out().startsWith("nnc "), version.out());
    }

    @Test
    void internalErrorsAreOneLineUnlessDebug() {
        Run r = run(new CommandLine(new Main()).addSubcommand(new Boom()), "boom");
        assertEquals(3, r.code());
        assertTrue(r.err().startsWith("nnc: internal error: java.lang.IllegalStateException: kaput\n"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
        for (String[] args : new String[][] {{"--debug", "boom"}, {"boom", "--debug"}}) {
            Run d = run(new CommandLine(new Main()).addSubcommand(new Boom()), args);
            assertEquals(3, d.code());
            assertTrue(d.err().contains("\tat dev.nnc.cli.CliTest$Boom.execute"), d.err());
        }
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
        assertEquals(2, nnc("train", "x.nn", "--epochs", "0").code());
        assertEquals(2, nnc("train", "x.nn", "--mode", "inference").code(), "train has no --mode");
        assertEquals(2, nnc("compile", "x.nn", "-d", "out", "--dtype", "f16").code());
        assertEquals(2, nnc("check").code(), "FILE.nn is required");
    }

    @Test
    void missingFileIsAUserError() {
        Run r = nnc("check", "no/such/file.nn");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("no/such/file.nn: no such file"), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        for (String cmd : new String[] {"compile", "inspect", "train"}) {
            String[] args = switch (cmd) {
                case "compile" -> new String[] {cmd, "missing.nn", "-d", "out"};
                case "inspect" -> new String[] {cmd, "missing.nn", "--stage", "ir"};
                default -> new String[] {cmd, "missing.nn"};
            };
            Run m = nnc(args);
            assertEquals(1, m.code(), cmd);
            assertEquals("nnc: missing.nn: no such file\n", m.err(), cmd);
        }
    }

    @Test
    void unreadableInputsAreUserErrors(@TempDir Path dir) throws IOException {
        Run d = nnc("check", dir.toString());
        assertEquals(1, d.code());
        assertTrue(d.err().contains(dir + ": is a directory"), d.err());
        Path binary = dir.resolve("binary.nn");
        Files.write(binary, new byte[] {(byte) 0xff, (byte) 0xfe, 0});
        Run b = nnc("check", binary.toString());
        assertEquals(1, b.code());
        assertTrue(b.err().contains("binary.nn: not UTF-8 text"), b.err());
    }

    @Test
    void aBadProgramIsAUserErrorInEveryCommand(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.nn");
        Files.writeString(bad, BAD);
        String[][] commands = {
            {"compile", bad.toString(), "-d", dir.resolve("out").toString()},
            {"inspect", bad.toString(), "--stage", "ir"},
            {"train", bad.toString(), "--data", dir.toString()},
        };
        for (String[] args : commands) {
            Run r = nnc(args);
            assertEquals(1, r.code(), args[0] + ": " + r.err());
            assertTrue(r.err().contains("bad.nn:3:14: error: undefined name 'y'"), args[0] + ": " + r.err());
            assertTrue(r.out().isEmpty(), args[0] + ": " + r.out());
        }
        assertFalse(Files.exists(dir.resolve("out")), "nothing written for a bad program");
    }

    @Test
    void checkAcceptsTheSamplesAndReportsErrorsWithCaret(@TempDir Path dir) throws IOException {
        for (String f : new String[] {"logistic.nn", "fashion_mlp.nn", "deep_mlp.nn"}) {
            Run r = nnc("check", SAMPLES.resolve(f).toString());
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains(": ok"));
        }
        Path bad = dir.resolve("bad.nn");
        Files.writeString(bad, BAD);
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
        assertTrue(code.contains("extends FloatModel"), "the generated class extends the runtime base class");
        try (var files = Files.list(java.getParent())) {
            assertEquals(1, files.count(), "no temporary files left behind");
        }
        assertTrue(r.out().contains("wrote " + java), r.out());
        assertTrue(r.out().matches("(?s).*compiled .*deep_mlp.nn in \\d+ ms\n"), r.out());
        assertEquals(2, nnc("compile", SAMPLES.resolve("deep_mlp.nn").toString(), "-d", dir.toString(),
                "--package", "1bad").code());
        assertEquals(2, nnc("compile", SAMPLES.resolve("deep_mlp.nn").toString(), "-d", dir.toString(),
                "--package", "demo.class").code(), "a keyword is no package name");
    }

    @Test
    void compileHonoursDtypeModeAndDefaultPackage(@TempDir Path dir) throws IOException {
        Path src = dir.resolve("two.nn");
        Files.writeString(src, TINY);
        Path out = dir.resolve("gen");
        Run r = nnc("compile", src.toString(), "-d", out.toString(), "--dtype", "f64", "--mode", "inference");
        assertEquals(0, r.code(), r.err());
        String tiny = Files.readString(out.resolve("Tiny.java"));
        assertFalse(tiny.startsWith("package"), "no --package: the default package");
        assertTrue(tiny.contains("double[]"), "f64");
        assertTrue(Files.exists(out.resolve("Wider.java")));
        Run again = nnc("compile", src.toString(), "-d", out.toString());
        assertEquals(0, again.code(), again.err());
        assertFalse(Files.readString(out.resolve("Tiny.java")).equals(tiny), "rewritten in place");
        Path blocked = dir.resolve("file");
        Files.writeString(blocked, "");
        Run b = nnc("compile", src.toString(), "-d", blocked.toString());
        assertEquals(1, b.code());
        assertTrue(b.err().startsWith("nnc: ") && b.err().contains("cannot write"), b.err());
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
        assertTrue(json.contains("\"runs_on\": \"tiles\"") && fused.contains("[tiles]"), json);
        String mem = nnc("inspect", f, "--stage", "memory", "--format", "json", "--mode", "inference").out();
        for (String key : new String[] {"\"arena_bytes\"", "\"naive_bytes\"", "\"peak_live_bytes\"", "\"buffers\""}) {
            assertTrue(mem.contains(key), key + " in " + mem);
        }
        assertTrue(nnc("inspect", f, "--stage", "fused", "--format", "dot").out().startsWith("digraph"));
        assertEquals(2, nnc("inspect", f, "--stage", "ir", "--format", "json").code());
        String unfused = nnc("inspect", f, "--stage", "fused", "--passes", "simplify,plan").out();
        var counts = java.util.regex.Pattern.compile(": (\\d+) kernels \\(unfused: (\\d+),").matcher(unfused);
        assertTrue(counts.find(), unfused);
        // compiled without fusion, the model is its own unfused baseline, update included
        assertEquals(Integer.parseInt(counts.group(2)), Integer.parseInt(counts.group(1)), unfused);
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
    void trainTrainsTheNamedModelOfATinyFile(@TempDir Path dir) throws IOException {
        writeIdx(dir, "train", 200, 3);
        writeIdx(dir, "t10k", 50, 4);
        Path src = dir.resolve("two.nn");
        Files.writeString(src, TINY);
        Run first = nnc("train", src.toString(), "--data", dir.toString(), "--epochs", "1", "--batch", "50",
                "--threads", "2", "--seed", "7");
        assertEquals(0, first.code(), first.err());
        assertTrue(first.out().startsWith("model Tiny compiled in "), first.out());
        assertTrue(first.out().contains("(f32, 7850 parameter values)"), first.out());
        assertTrue(first.out().contains("data: "), first.out());
        assertTrue(first.out().contains("epoch=1 train_loss="), first.out());
        assertFalse(first.out().contains("epoch=2"), first.out());
        assertTrue(first.err().contains("epoch 1/1"), "progress bar on stderr: " + first.err());
        Run wider = nnc("train", src.toString(), "--model", "Wider", "--data", dir.toString(), "--epochs", "1",
                "--no-progress", "--dtype", "f64");
        assertEquals(0, wider.code(), wider.err());
        assertTrue(wider.out().startsWith("model Wider compiled in "), wider.out());
        assertTrue(wider.out().contains("(f64, "), wider.out());
        assertEquals("", wider.err(), "--no-progress");
        Run none = nnc("train", src.toString(), "--model", "Nope", "--data", dir.toString());
        assertEquals(1, none.code());
        assertTrue(none.err().contains("has no model 'Nope'; it has: Tiny, Wider"), none.err());
        try (var files = Files.list(dir)) {
            assertEquals(5, files.count(), "train writes nothing but --save");
        }
    }

    /**
     * A hostile file through the real commands: a model named with a Java keyword, a comment that
     * tries a unicode-escape injection. It compiles to {@code classModel.java} without the escape,
     * and trains under its .nn name (docs/security.md).
     */
    @Test
    void aHostileProgramCompilesAndTrainsSafely(@TempDir Path dir) throws IOException {
        writeIdx(dir, "train", 100, 5);
        writeIdx(dir, "t10k", 50, 6);
        Path src = dir.resolve("hostile.nn");
        Files.writeString(src, """
                model class {
                    input  new: f32[N, 784]
                    target var: i32[N]
                    logits = new |> dense(10) as public // \\u000a System.exit(42); \u2028 Runtime.getRuntime();
                    output logits
                    loss cross_entropy(logits, var)
                    optimizer sgd(lr = 0.1)
                }
                """);
        Path out = dir.resolve("out");
        Run c = nnc("compile", src.toString(), "-d", out.toString());
        assertEquals(0, c.code(), c.err());
        String code = Files.readString(out.resolve("classModel.java"));
        assertFalse(code.matches("(?s).*(?<!\\\\)\\\\u000a.*"), "a unicode escape survived:\n" + code);
        assertTrue(code.contains("// hostile.nn:4  logits = new |> dense(10) as public // \\\\u000a System.exit(42); ? "
                + "Runtime.getRuntime();"), code);
        Run t = nnc("train", src.toString(), "--data", dir.toString(), "--epochs", "1", "--batch", "50", "--no-progress");
        assertEquals(0, t.code(), t.err());
        assertTrue(t.out().startsWith("model class compiled in "), t.out());
        assertTrue(t.out().contains("epoch=1 train_loss="), t.out());
    }

    /** Images reach models whose input is [N, 784], [N, 1, 28, 28] (a CNN) or [N, 28, 28] (rows as a sequence). */
    @Test
    void trainFeedsImagesToFlatConvolutionalAndRecurrentModels(@TempDir Path dir) throws IOException {
        writeIdx(dir, "train", 64, 7);
        writeIdx(dir, "t10k", 32, 8);
        for (String input : java.util.List.of("x: f32[N, 784]\n    h = x |> dense(8)",
                "x: f32[N, 1, 28, 28]\n    h = x |> conv2d(2, kernel = 5, stride = 3) |> relu |> max_pool(2) |> flatten",
                "x: f32[N, 28, 28]\n    h = x |> rnn(6, return_sequences = false)")) {
            Path src = dir.resolve("m.nn");
            Files.writeString(src, "model M {\n    input " + input + "\n    target y: i32[N]\n    logits = dense(h, 10)\n"
                    + "    output logits\n    loss cross_entropy(logits, y)\n    optimizer sgd(lr = 0.05)\n}\n");
            Run r = nnc("train", src.toString(), "--data", dir.toString(), "--epochs", "1", "--batch", "16",
                    "--no-progress");
            assertEquals(0, r.code(), input + ": " + r.err());
            assertTrue(r.out().contains("epoch=1 train_loss="), r.out());
        }
    }

    @Test
    void trainChecksSaveAndDataPathsBeforeTraining(@TempDir Path dir) throws IOException {
        Path src = dir.resolve("two.nn");
        Files.writeString(src, TINY);
        Run save = nnc("train", src.toString(), "--save", dir.resolve("no/such/w.safetensors").toString());
        assertEquals(1, save.code());
        assertTrue(save.err().contains("does not exist"), save.err());
        assertTrue(save.out().isEmpty(), "refused before compiling: " + save.out());
        Run data = nnc("train", src.toString(), "--data", dir.resolve("nowhere").toString());
        assertEquals(1, data.code());
        assertTrue(data.err().contains("nowhere: no such directory"), data.err());
        assertTrue(data.out().isEmpty(), data.out());
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
