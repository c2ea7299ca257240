package dev.nnc.cli;

import dev.nnc.compiler.api.InspectResult;
import dev.nnc.compiler.api.Nnc;
import dev.nnc.compiler.api.Stage;
import dev.nnc.compiler.diag.Diagnostic;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code nnc inspect FILE.nn --stage ...}: a readable dump of one compiler stage. */
@Command(name = "inspect", description = "Prints one stage: ast, ir, grad, java, fused (kernels) or memory (plan).")
final class InspectCommand extends NncCommand {
    @Parameters(paramLabel = "FILE.nn", description = "the program")
    Path file;

    @Option(names = "--stage", required = true, paramLabel = "STAGE",
            description = "ast | ir | grad | java | fused | memory")
    String stage;

    @Option(names = "--format", defaultValue = "text", paramLabel = "FORMAT",
            description = "text (default) | json (fused, memory) | dot (fused: the graph, kernels as clusters)")
    String format;

    @Option(names = "--batch", defaultValue = "128", paramLabel = "B",
            description = "batch size for the fused and memory figures (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--png", paramLabel = "OUT.png", description = "render the fused graph with Graphviz")
    Path png;

    @Mixin
    Common common;

    @Mixin
    Common.ModeOption mode;

    @Override
    int execute() {
        Stage s = parse(Stage.class, stage, "--stage");
        Nnc.Format f = parse(Nnc.Format.class, format, "--format");
        if (png != null) {
            if (s != Stage.FUSED) throw usage("--png renders the fused stage; use --stage fused");
            f = Nnc.Format.DOT;
        }
        if (f == Nnc.Format.JSON && s != Stage.FUSED && s != Stage.MEMORY) {
            throw usage("--format json is for the fused and memory stages");
        }
        if (f == Nnc.Format.DOT && s != Stage.FUSED) throw usage("--format dot is for the fused stage");
        if (batch < 1) throw usage("--batch must be at least 1");
        InspectResult r = Nnc.inspect(Common.read(file), s, common.options("", mode.mode), f, batch);
        for (Diagnostic d : r.diagnostics()) err().println(d.format());
        if (!r.ok()) return Main.USER_ERROR;
        if (png != null) {
            render(r.text(), png);
            out().println("wrote " + png);
        } else {
            out().print(r.text());
            out().flush();
        }
        return Main.OK;
    }

    private <E extends Enum<E>> E parse(Class<E> type, String value, String option) {
        try {
            return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            StringBuilder choices = new StringBuilder();
            for (E c : type.getEnumConstants()) {
                choices.append(choices.isEmpty() ? "" : ", ").append(c.name().toLowerCase(Locale.ROOT));
            }
            throw usage(option + ": '" + value + "' is not one of " + choices);
        }
    }

    /** dot -Tpng, when Graphviz is installed. */
    private static void render(String dot, Path out) {
        try {
            Path src = Files.createTempFile("nnc-", ".dot");
            try {
                Files.writeString(src, dot, StandardCharsets.UTF_8);
                Path tmp = out.toAbsolutePath().resolveSibling("." + out.getFileName() + ".tmp");
                Process p = new ProcessBuilder("dot", "-Tpng", src.toString(), "-o", tmp.toString())
                        .redirectErrorStream(true).start();
                String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    Files.deleteIfExists(tmp);
                    throw new UserError("Graphviz failed to render " + out + ": " + log.strip());
                }
                Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(src);
            }
        } catch (IOException e) {
            throw new UserError("cannot run Graphviz 'dot' (" + e.getMessage()
                    + "); install the Debian package graphviz, or use --format dot and render it elsewhere");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError("interrupted while rendering " + out);
        }
    }
}
