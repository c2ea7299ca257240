package dev.nnc.cli;

import dev.nnc.compiler.api.Nnc;
import dev.nnc.compiler.diag.Diagnostic;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code nnc check FILE.nn}: parse, resolve and check shapes. */
@Command(name = "check", description = "Parses, resolves names and checks shapes; exit 1 on error.")
final class CheckCommand extends NncCommand {
    @Parameters(paramLabel = "FILE.nn", description = "the program")
    Path file;

    @Override
    int execute() {
        List<Diagnostic> diags = Nnc.check(Common.read(file));
        diags.forEach(d -> err().println(d.format()));
        long errors = diags.stream().filter(Diagnostic::isError).count();
        if (errors > 0) {
            err().println(errors + (errors == 1 ? " error" : " errors"));
            return Main.USER_ERROR;
        }
        out().println(file + ": ok");
        return Main.OK;
    }
}
