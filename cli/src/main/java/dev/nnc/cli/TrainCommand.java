package dev.nnc.cli;

import dev.nnc.compiler.api.CompileResult;
import dev.nnc.compiler.api.GeneratedSource;
import dev.nnc.compiler.api.InMemoryJavac;
import dev.nnc.compiler.api.Nnc;
import dev.nnc.runtime.CompiledModel;
import dev.nnc.runtime.Parallel;
import dev.nnc.runtime.data.DataSplit;
import dev.nnc.runtime.data.FashionMnist;
import dev.nnc.runtime.train.TrainConfig;
import dev.nnc.runtime.train.Trainer;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code nnc train FILE.nn}: compiles the model in memory and trains it. */
@Command(name = "train", description = "Compiles FILE.nn in memory and trains it on Fashion-MNIST or IDX files.")
final class TrainCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE.nn")
    Path file;

    @Option(names = "--data", defaultValue = "fashion-mnist", paramLabel = "fashion-mnist|DIR",
            description = "fashion-mnist (the Debian package's full set if installed, else the embedded subset) "
                    + "or a directory of IDX files")
    String data;

    @Option(names = "--epochs", defaultValue = "5")
    int epochs;

    @Option(names = "--batch", defaultValue = "128")
    int batch;

    @Option(names = "--seed", defaultValue = "42")
    long seed;

    @Option(names = "--threads", description = "worker threads (default: all processors)")
    Integer threads;

    @Option(names = "--model", description = "which model of the file (default: the first)")
    String modelName;

    @Option(names = "--save", paramLabel = "W.safetensors", description = "write the trained weights")
    Path save;

    @Option(names = "--no-progress", description = "no progress bar")
    boolean noProgress;

    @Mixin
    Common common;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (epochs < 1) usage("--epochs must be at least 1");
        if (batch < 1) usage("--batch must be at least 1");
        if (threads != null && threads < 1) usage("--threads must be at least 1");
        if (common.mode == dev.nnc.compiler.api.CompileOptions.Mode.INFERENCE) usage("train needs --mode train");
        if (threads != null) Parallel.setThreads(threads);
        var out = spec.commandLine().getOut();
        long start = System.nanoTime();
        CompileResult r = Nnc.compile(Common.read(file), common.options("nnc.generated"));
        if (!r.ok()) {
            spec.commandLine().getErr().println(r.formatDiagnostics());
            return Main.USER_ERROR;
        }
        GeneratedSource chosen = r.sources().getFirst();
        if (modelName != null) {
            chosen = r.sources().stream().filter(s -> s.className().equals(modelName)).findFirst()
                    .orElseThrow(() -> new UserError(file + " has no model '" + modelName + "'; it has: "
                            + String.join(", ", r.sources().stream().map(GeneratedSource::className).toList())));
        }
        Map<String, Class<?>> classes;
        try {
            classes = InMemoryJavac.compile(r.sources(), false);
        } catch (InMemoryJavac.NoCompilerException e) {
            throw new UserError(e.getMessage());
        }
        CompiledModel model = instantiate(classes.get(chosen.qualifiedName()));
        if (model.feeds().stream().noneMatch(f -> f.role() == dev.nnc.runtime.TensorInfo.Role.TARGET)) {
            throw new UserError(file + ": model '" + model.name() + "' has no target and loss, so it cannot be "
                    + "trained (add 'target y: i32[N]' and 'loss cross_entropy(logits, y)', for example)");
        }
        out.println(String.format(Locale.ROOT, "model %s compiled in %.0f ms (%s, %d parameter values)",
                model.name(), (System.nanoTime() - start) / 1e6, model.dtype().name().toLowerCase(Locale.ROOT),
                model.parameters().stream().mapToInt(p -> p.rowSize()).sum()));
        DataSplit split = load();
        out.println("data: " + split.description());
        out.flush();
        try {
            PrintStream stdout = new PrintStream(new WriterStream(out), true);
            Trainer.fit(model, split, new TrainConfig(epochs, batch, seed, !noProgress), stdout,
                    noProgress ? null : System.err);
        } catch (IllegalArgumentException e) {
            throw new UserError(file + ": cannot train on this data: " + e.getMessage());
        }
        if (save != null) {
            try {
                model.saveWeights(save);
            } catch (IOException e) {
                throw new UserError(save + ": cannot write weights (" + e.getMessage() + ")");
            }
            out.println("saved weights to " + save);
        }
        return Main.OK;
    }

    private void usage(String message) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), message);
    }

    private CompiledModel instantiate(Class<?> cls) {
        try {
            return (CompiledModel) cls.getConstructor(int.class, long.class).newInstance(batch, seed);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("the generated constructor failed", e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private DataSplit load() {
        try {
            if (data.equals("fashion-mnist")) return FashionMnist.load();
            Path dir = Path.of(data);
            if (!Files.isDirectory(dir)) {
                throw new UserError("--data " + data + ": not a directory (expected fashion-mnist or a directory "
                        + "with train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-… files)");
            }
            return FashionMnist.load(dir);
        } catch (IOException e) {
            throw new UserError(e.getMessage());
        }
    }

    /** Routes the trainer's PrintStream output to picocli's writer (so tests can capture it). */
    private static final class WriterStream extends java.io.OutputStream {
        private final java.io.PrintWriter w;
        private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();

        WriterStream(java.io.PrintWriter w) {
            this.w = w;
        }

        @Override
        public void write(int b) {
            line.write(b);
            if (b == '\n') flush();
        }

        @Override
        public void flush() {
            w.print(line.toString(java.nio.charset.StandardCharsets.UTF_8));
            w.flush();
            line.reset();
        }
    }
}
