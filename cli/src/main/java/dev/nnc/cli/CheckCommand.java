package dev.nnc.cli;

import dev.nnc.compiler.api.Nnc;
import dev.nnc.compiler.diag.Diagnostic;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code nnc check FILE.nn}: parse, resolve and check shapes. */
@Command(name = "check", description = "Parses, resolves names and checks shapes; exit 1 on error.")
final class CheckCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE.nn")
    Path file;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        List<Diagnostic> diags = Nnc.check(Common.read(file));
        diags.forEach(d -> spec.commandLine().getErr().println(d.format()));
        if (diags.stream().anyMatch(Diagnostic::isError)) {
            long n = diags.stream().filter(Diagnostic::isError).count();
            spec.commandLine().getErr().println(n + (n == 1 ? " error" : " errors"));
            return Main.USER_ERROR;
        }
        spec.commandLine().getOut().println(file + ": ok");
        return Main.OK;
    }
}
