package dev.nnc.compiler.api;

import dev.nnc.compiler.diag.Diagnostic;
import java.util.List;

/** A human-readable dump of one compiler stage, or the diagnostics that stopped it. */
public record InspectResult(String text, List<Diagnostic> diagnostics) {

    public boolean ok() {
        return diagnostics.stream().noneMatch(Diagnostic::isError);
    }
}
