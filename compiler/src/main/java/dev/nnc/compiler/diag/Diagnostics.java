package dev.nnc.compiler.diag;

import dev.nnc.compiler.api.SourceFile;
import dev.nnc.compiler.ast.Pos;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Collects the diagnostics of one compilation, so that independent errors are reported together. */
public final class Diagnostics {
    private final SourceFile source;
    private final List<Diagnostic> items = new ArrayList<>();

    public Diagnostics(SourceFile source) {
        this.source = source;
    }

    public SourceFile source() {
        return source;
    }

    public void error(ErrorCode code, Pos pos, Object... args) {
        Diagnostic d = new Diagnostic(code, source.name(), pos.line(), pos.column(), code.message(args),
                pos.line() > 0 ? source.line(pos.line()) : null);
        if (!items.contains(d)) {
            items.add(d);
        }
    }

    public boolean hasErrors() {
        return items.stream().anyMatch(Diagnostic::isError);
    }

    public int errorCount() {
        return (int) items.stream().filter(Diagnostic::isError).count();
    }

    /** All diagnostics sorted by position. */
    public List<Diagnostic> all() {
        List<Diagnostic> sorted = new ArrayList<>(items);
        sorted.sort(Comparator.comparingInt(Diagnostic::line).thenComparingInt(Diagnostic::column));
        return sorted;
    }
}
