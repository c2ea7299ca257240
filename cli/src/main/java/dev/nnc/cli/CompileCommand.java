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
import javax.lang.model.SourceVersion;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code nnc compile FILE.nn -d OUT}: writes one Java class per model. */
@Command(name = "compile", description = "Compiles FILE.nn to Java sources under OUT (one class per model).")
final class CompileCommand extends NncCommand {
    @Parameters(paramLabel = "FILE.nn", description = "the program")
    Path file;

    @Option(names = "-d", paramLabel = "OUT", required = true, description = "output directory (source root)")
    Path out;

    @Option(names = "--package", paramLabel = "P", defaultValue = "",
            description = "Java package of the classes (default: none)")
    String packageName;

    @Mixin
    Common common;

    @Mixin
    Common.ModeOption mode;

    @Override
    int execute() {
        if (!packageName.isEmpty() && !SourceVersion.isName(packageName)) {
            throw usage("--package: '" + packageName + "' is not a Java package name");
        }
        long start = System.nanoTime();
        CompileResult r = Nnc.compile(Common.read(file), common.options(packageName, mode.mode));
        if (!r.diagnostics().isEmpty()) err().println(r.formatDiagnostics()); // errors, or warnings
        if (!r.ok()) return Main.USER_ERROR;
        double ms = (System.nanoTime() - start) / 1e6;
        for (GeneratedSource s : r.sources()) {
            Path target = out.resolve(s.relativePath());
            write(target, s.code());
            out().println("wrote " + target);
        }
        out().println(String.format(Locale.ROOT, "compiled %s in %.0f ms", file, ms));
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
