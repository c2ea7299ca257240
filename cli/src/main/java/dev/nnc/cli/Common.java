package dev.nnc.cli;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.api.SourceFile;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options shared by the commands that compile. */
final class Common {
    @Option(names = "--dtype", description = "f32 (default) or f64", defaultValue = "f32",
            converter = DtypeConverter.class)
    CompileOptions.Precision dtype;

    @Option(names = "--mode", description = "train (default: forward, backward, update) or inference (forward only)",
            defaultValue = "train", converter = ModeConverter.class)
    CompileOptions.Mode mode;

    @Option(names = "--no-fuse", description = "one kernel per op (switches FuseKernels off)")
    boolean noFuse;

    @Option(names = "--no-plan", description = "every tensor its own buffer (switches PlanMemory off)")
    boolean noPlan;

    @Option(names = "--no-simplify", description = "switches the Simplify pass off")
    boolean noSimplify;

    @Option(names = "--passes", split = ",", paramLabel = "PASS,...",
            description = "run only these optional passes: simplify, fuse, plan (default: all)")
    java.util.List<String> passes;

    CompileOptions options(String packageName) {
        CompileOptions o = CompileOptions.defaults().withPackage(packageName).withDtype(dtype).withMode(mode);
        if (passes != null) {
            try {
                o = o.withPasses(passes.stream().filter(p -> !p.isBlank()).toList());
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--passes: " + e.getMessage());
            }
        }
        if (noFuse) o = o.withFuse(false);
        if (noPlan) o = o.withPlan(false);
        if (noSimplify) o = o.withSimplify(false);
        return o;
    }

    @picocli.CommandLine.Spec(picocli.CommandLine.Spec.Target.MIXEE)
    picocli.CommandLine.Model.CommandSpec spec;

    /** Reads a .nn file, or fails with a message naming it. */
    static SourceFile read(Path file) {
        try {
            if (Files.isDirectory(file)) throw new UserError(file + ": is a directory, expected a .nn file");
            return SourceFile.read(file);
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": no such file");
        } catch (MalformedInputException e) {
            throw new UserError(file + ": not UTF-8 text");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    static final class DtypeConverter implements picocli.CommandLine.ITypeConverter<CompileOptions.Precision> {
        @Override
        public CompileOptions.Precision convert(String s) {
            return switch (s) {
                case "f32" -> CompileOptions.Precision.F32;
                case "f64" -> CompileOptions.Precision.F64;
                default -> throw new picocli.CommandLine.TypeConversionException("expected f32 or f64, got '" + s + "'");
            };
        }
    }

    static final class ModeConverter implements picocli.CommandLine.ITypeConverter<CompileOptions.Mode> {
        @Override
        public CompileOptions.Mode convert(String s) {
            return switch (s) {
                case "train" -> CompileOptions.Mode.TRAIN;
                case "inference" -> CompileOptions.Mode.INFERENCE;
                default -> throw new picocli.CommandLine.TypeConversionException(
                        "expected train or inference, got '" + s + "'");
            };
        }
    }
}
