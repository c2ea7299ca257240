package dev.nnc.cli;

import dev.nnc.compiler.api.CompileResult;
import dev.nnc.compiler.api.GeneratedSource;
import dev.nnc.compiler.api.Nnc;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code nnc compile FILE.nn -d OUT}: writes one Java class per model. */
@Command(name = "compile", description = "Compiles FILE.nn to Java sources under OUT (one class per model).")
final class CompileCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE.nn")
    Path file;

    @Option(names = "-d", paramLabel = "OUT", required = true, description = "output directory (source root)")
    Path out;

    @Option(names = "--package", paramLabel = "P", defaultValue = "", description = "Java package of the classes")
    String packageName;

    @Mixin
    Common common;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (!packageName.isEmpty() && !packageName.matches("[A-Za-z_$][\\w$]*(\\.[A-Za-z_$][\\w$]*)*")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--package: '" + packageName + "' is not a Java package name");
        }
        long start = System.nanoTime();
        CompileResult r = Nnc.compile(Common.read(file), common.options(packageName));
        if (!r.ok()) {
            spec.commandLine().getErr().println(r.formatDiagnostics());
            return Main.USER_ERROR;
        }
        double ms = (System.nanoTime() - start) / 1e6;
        for (GeneratedSource s : r.sources()) {
            Path target = out.resolve(s.relativePath());
            write(target, s.code());
            spec.commandLine().getOut().println("wrote " + target);
        }
        spec.commandLine().getOut().println(String.format(Locale.ROOT, "compiled %s in %.0f ms", file, ms));
        return Main.OK;
    }

    /** Writes to a temporary file in the same directory, then renames: never a half-written source. */
    static void write(Path target, String text) {
        try {
            Path dir = target.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
            try {
                Files.writeString(tmp, text, StandardCharsets.UTF_8);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UserError(target + ": cannot write (" + e.getMessage() + ")");
        }
    }
}
