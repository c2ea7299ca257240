package dev.nnc.compiler.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** A .nn program: the name used in diagnostics (usually the path as given) and its text. */
public record SourceFile(String name, String text) {

    public static SourceFile read(Path path) throws IOException {
        return new SourceFile(path.toString(), Files.readString(path, StandardCharsets.UTF_8));
    }

    /** The 1-based line {@code line} without its line terminator, or "" when out of range. */
    public String line(int line) {
        int start = 0;
        for (int l = 1; l < line; l++) {
            int nl = text.indexOf('\n', start);
            if (nl < 0) return "";
            start = nl + 1;
        }
        int end = text.indexOf('\n', start);
        String s = end < 0 ? text.substring(start) : text.substring(start, end);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }
}
