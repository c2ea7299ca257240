package dev.nnc.cli;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.api.CompileResult;
import dev.nnc.compiler.api.GeneratedSource;
import dev.nnc.compiler.api.InMemoryJavac;
import dev.nnc.compiler.api.Nnc;
import dev.nnc.runtime.CompiledModel;
import dev.nnc.runtime.Parallel;
import dev.nnc.runtime.TensorInfo;
import dev.nnc.runtime.data.DataSplit;
import dev.nnc.runtime.data.FashionMnist;
import dev.nnc.runtime.train.TrainConfig;
import dev.nnc.runtime.train.Trainer;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code nnc train FILE.nn}: compiles the model in memory (javax.tools, against the running JVM's
 * class path, so the generated class sees nnc-runtime), loads it from the compiled bytes, and trains
 * it. Nothing is written to disk except the weights {@code --save} names.
 */
@Command(name = "train", description = "Compiles FILE.nn in memory and trains it on Fashion-MNIST or IDX files.")
final class TrainCommand extends NncCommand {
    static final String FASHION_MNIST = "fashion-mnist";

    @Parameters(paramLabel = "FILE.nn", description = "the program")
    Path file;

    @Option(names = "--data", defaultValue = FASHION_MNIST, paramLabel = "fashion-mnist|DIR",
            description = "fashion-mnist (default: the Debian package's full set if installed, else the subset "
                    + "embedded in nnc-runtime) or a directory of IDX files")
    String data;

    @Option(names = "--epochs", defaultValue = "5", paramLabel = "E", description = "epochs (default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--batch", defaultValue = "128", paramLabel = "B",
            description = "batch size, also the model's maximum batch (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "S",
            description = "seed of the initial weights, the shuffling and dropout (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--threads", paramLabel = "T", description = "worker threads (default: all processors)")
    Integer threads;

    @Option(names = "--model", paramLabel = "NAME", description = "which model of the file (default: the first)")
    String modelName;

    @Option(names = "--save", paramLabel = "W.safetensors", description = "write the trained weights there")
    Path save;

    @Option(names = "--no-progress", description = "no progress bar on stderr")
    boolean noProgress;

    @Mixin
    Common common;

    @Override
    int execute() throws ReflectiveOperationException {
        if (epochs < 1) throw usage("--epochs must be at least 1");
        if (batch < 1) throw usage("--batch must be at least 1");
        if (threads != null && threads < 1) throw usage("--threads must be at least 1");
        checkPathsBeforeTraining();
        if (threads != null) Parallel.setThreads(threads);

        long start = System.nanoTime();
        // a JDK image without the Vector API module could not compile the Simd loops (nor run them)
        CompileOptions options = common.options("nnc.generated", CompileOptions.Mode.TRAIN);
        if (!InMemoryJavac.hasVectorModule()) options = options.withVectorLoops(false);
        CompileResult r = Nnc.compile(Common.read(file), options);
        if (!r.diagnostics().isEmpty()) err().println(r.formatDiagnostics()); // errors, or warnings
        if (!r.ok()) return Main.USER_ERROR;
        GeneratedSource chosen = choose(r);
        Map<String, Class<?>> classes;
        try {
            classes = InMemoryJavac.compile(r.sources(), false);
        } catch (InMemoryJavac.NoCompilerException e) {
            throw new UserError(e.getMessage());
        }
        CompiledModel model = instantiate(classes.get(chosen.qualifiedName()));
        if (model.feeds().stream().noneMatch(f -> f.role() == TensorInfo.Role.TARGET)) {
            throw new UserError(file + ": model '" + model.name() + "' has no target and loss, so it cannot be "
                    + "trained (add 'target y: i32[N]' and 'loss cross_entropy(logits, y)', for example)");
        }
        out().println(String.format(Locale.ROOT, "model %s compiled in %.0f ms (%s, %d parameter values)",
                model.name(), (System.nanoTime() - start) / 1e6, model.dtype().name().toLowerCase(Locale.ROOT),
                model.parameters().stream().mapToLong(TensorInfo::rowSize).sum()));
        DataSplit split = load();
        out().println("data: " + split.description());
        out().flush();
        try {
            Trainer.fit(model, split, new TrainConfig(epochs, batch, seed, !noProgress), stream(out()),
                    noProgress ? null : stream(err()));
        } catch (IllegalArgumentException e) {
            throw new UserError(file + ": cannot train on this data: " + e.getMessage());
        }
        if (save != null) {
            try {
                model.saveWeights(save);
            } catch (IOException e) {
                throw new UserError(save + ": cannot write weights (" + message(e) + ")");
            }
            out().println("saved weights to " + save);
        }
        return Main.OK;
    }

    /** Mistakes in --data and --save are reported before compiling and training, not after. */
    private void checkPathsBeforeTraining() {
        if (!data.equals(FASHION_MNIST) && !Files.isDirectory(Path.of(data))) {
            throw new UserError("--data " + data + ": "
                    + (Files.exists(Path.of(data)) ? "not a directory" : "no such directory")
                    + " (expected fashion-mnist, or a directory with train-images-idx3-ubyte[.gz], "
                    + "train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz])");
        }
        if (save != null) {
            if (Files.isDirectory(save)) throw new UserError("--save " + save + ": is a directory, expected a file name");
            Path dir = save.toAbsolutePath().getParent();
            if (dir != null && !Files.isDirectory(dir)) {
                throw new UserError("--save " + save + ": the directory " + dir + " does not exist");
            }
        }
    }

    /** The first model of the file, or the one --model names. */
    private GeneratedSource choose(CompileResult r) {
        if (modelName == null) return r.sources().getFirst();
        return r.sources().stream().filter(s -> s.className().equals(modelName)).findFirst()
                .orElseThrow(() -> new UserError(file + " has no model '" + modelName + "'; it has: "
                        + String.join(", ", r.sources().stream().map(GeneratedSource::className).toList())));
    }

    private CompiledModel instantiate(Class<?> cls) throws ReflectiveOperationException {
        try {
            return (CompiledModel) cls.getConstructor(int.class, long.class).newInstance(batch, seed);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof OutOfMemoryError oom) throw oom;
            throw new IllegalStateException("the generated constructor of " + cls.getName() + " failed", e.getCause());
        }
    }

    private DataSplit load() {
        try {
            return data.equals(FASHION_MNIST) ? FashionMnist.load() : FashionMnist.load(Path.of(data));
        } catch (IOException e) {
            throw new UserError(message(e));
        }
    }

    private static String message(IOException e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
