package dev.nnc.compiler.api;

import dev.nnc.compiler.diag.Diagnostic;
import java.util.List;
import java.util.stream.Collectors;

/** Generated sources (empty when there are errors) and every diagnostic, in source order. */
public record CompileResult(List<GeneratedSource> sources, List<Diagnostic> diagnostics) {

    public CompileResult {
        sources = List.copyOf(sources);
        diagnostics = List.copyOf(diagnostics);
    }

    public boolean ok() {
        return diagnostics.stream().noneMatch(Diagnostic::isError);
    }

    /** All diagnostics formatted as {@code file:line:col: error: message}, the line and a caret. */
    public String formatDiagnostics() {
        return diagnostics.stream().map(Diagnostic::format).collect(Collectors.joining("\n"));
    }
}
