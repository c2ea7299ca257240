package dev.nnc.cli;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.api.SourceFile;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** Options shared by the commands that compile: precision and the optional passes. */
final class Common {
    @Option(names = "--dtype", paramLabel = "f32|f64", description = "precision: f32 (default) or f64",
            defaultValue = "f32", converter = DtypeConverter.class)
    CompileOptions.Precision dtype;

    @Option(names = "--no-fuse", description = "one kernel per op (switches FuseKernels off)")
    boolean noFuse;

    @Option(names = "--no-plan", description = "every tensor its own buffer (switches PlanMemory off)")
    boolean noPlan;

    @Option(names = "--no-simplify", description = "switches the Simplify pass off")
    boolean noSimplify;

    @Option(names = "--no-vector-loops", description = "leave out the Vector API form of the elementwise loops"
            + " (the Simd class): the source then compiles without --release 25 or --add-modules jdk.incubator.vector")
    boolean noVectorLoops;

    @Option(names = "--passes", split = ",", paramLabel = "PASS",
            description = "run only these optional passes: simplify, fuse, plan (default: all)")
    List<String> passes;

    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandSpec spec;

    CompileOptions options(String packageName, CompileOptions.Mode mode) {
        CompileOptions o;
        try {
            o = CompileOptions.defaults().withPackage(packageName).withDtype(dtype).withMode(mode);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--package: " + e.getMessage());
        }
        if (passes != null) {
            try {
                o = o.withPasses(passes.stream().filter(p -> !p.isBlank()).toList());
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--passes: " + e.getMessage());
            }
        }
        if (noFuse) o = o.withFuse(false);
        if (noPlan) o = o.withPlan(false);
        if (noSimplify) o = o.withSimplify(false);
        if (noVectorLoops) o = o.withVectorLoops(false);
        return o;
    }

    /** {@code --mode}, for the commands where it makes sense (compile, inspect; train always trains). */
    static final class ModeOption {
        @Option(names = "--mode", paramLabel = "train|inference", defaultValue = "train",
                converter = ModeConverter.class,
                description = "train (default: forward, backward, update) or inference (forward only)")
        CompileOptions.Mode mode;
    }

    /** Reads a .nn file, or fails with a message naming it. */
    static SourceFile read(Path file) {
        try {
            if (Files.isDirectory(file)) throw new UserError(file + ": is a directory, expected a .nn file");
            return SourceFile.read(file);
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new UserError(file + ": permission denied");
        } catch (MalformedInputException e) {
            throw new UserError(file + ": not UTF-8 text");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    static final class DtypeConverter implements CommandLine.ITypeConverter<CompileOptions.Precision> {
        @Override
        public CompileOptions.Precision convert(String s) {
            return switch (s) {
                case "f32" -> CompileOptions.Precision.F32;
                case "f64" -> CompileOptions.Precision.F64;
                default -> throw new CommandLine.TypeConversionException("expected f32 or f64, got '" + s + "'");
            };
        }
    }

    static final class ModeConverter implements CommandLine.ITypeConverter<CompileOptions.Mode> {
        @Override
        public CompileOptions.Mode convert(String s) {
            return switch (s) {
                case "train" -> CompileOptions.Mode.TRAIN;
                case "inference" -> CompileOptions.Mode.INFERENCE;
                default -> throw new CommandLine.TypeConversionException("expected train or inference, got '" + s + "'");
            };
        }
    }
}
