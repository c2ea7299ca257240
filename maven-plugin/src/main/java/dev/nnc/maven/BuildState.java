package dev.nnc.maven;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What each {@code .nn} input generated the last time it was compiled, and from what: the content
 * hash, the options and the compiler stamp. Kept as a small text file under
 * {@code target/nnc-state/}; a missing or unreadable file just means "compile everything".
 *
 * <pre>
 * nnc-state 1
 * # /home/me/app/src/main/nn -> /home/me/app/target/generated-sources/nnc
 * input com/acme/mlp.nn
 *   sha256 9f86d08...
 *   options package=com.acme dtype=F32 mode=TRAIN
 *   compiler 0.1.0 build=3a7bd3e2
 *   output com/acme/Mlp.java
 * </pre>
 */
final class BuildState {

    private static final String HEADER = "nnc-state 1";

    /** One input's record; {@code outputs} are paths relative to the output directory, '/'-separated. */
    record Entry(String sha256, String options, String compiler, List<String> outputs) {
        Entry {
            outputs = List.copyOf(outputs);
        }
    }

    private final Map<String, Entry> entries = new TreeMap<>();

    /** Inputs, '/'-separated paths relative to the source directory, sorted. */
    Set<String> inputs() {
        return Collections.unmodifiableSet(entries.keySet());
    }

    Entry get(String input) {
        return entries.get(input);
    }

    void put(String input, Entry entry) {
        entries.put(input, entry);
    }

    /** Every output recorded for any input. */
    Set<String> allOutputs() {
        Set<String> all = new TreeSet<>();
        entries.values().forEach(e -> all.addAll(e.outputs()));
        return all;
    }

    static BuildState read(Path file) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return new BuildState();
        }
        BuildState parsed = parse(lines);
        return parsed != null ? parsed : new BuildState();
    }

    /** Returns null for anything this version did not write: the caller then rebuilds from scratch. */
    static BuildState parse(List<String> lines) {
        if (lines.isEmpty() || !lines.getFirst().equals(HEADER)) {
            return null;
        }
        BuildState state = new BuildState();
        String input = null;
        String sha = null;
        String options = null;
        String compiler = null;
        List<String> outputs = new ArrayList<>();
        for (String raw : lines.subList(1, lines.size())) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int space = line.indexOf(' ');
            if (space < 0) {
                return null;
            }
            String key = line.substring(0, space);
            String value = line.substring(space + 1);
            switch (key) {
                case "input" -> {
                    if (input != null && !state.add(input, sha, options, compiler, outputs)) {
                        return null;
                    }
                    input = value;
                    sha = null;
                    options = null;
                    compiler = null;
                    outputs = new ArrayList<>();
                }
                case "sha256" -> sha = value;
                case "options" -> options = value;
                case "compiler" -> compiler = value;
                case "output" -> outputs.add(value);
                default -> {
                    return null;
                }
            }
        }
        if (input != null && !state.add(input, sha, options, compiler, outputs)) {
            return null;
        }
        return state;
    }

    private boolean add(String input, String sha, String options, String compiler, List<String> outputs) {
        if (sha == null || options == null || compiler == null) {
            return false;
        }
        entries.put(input, new Entry(sha, options, compiler, outputs));
        return true;
    }

    String format() {
        return format(null);
    }

    /** The file's text; {@code comment}, when not null, is written as a {@code #} line after the header. */
    String format(String comment) {
        StringBuilder sb = new StringBuilder(HEADER).append('\n');
        if (comment != null) {
            sb.append("# ").append(comment.replace('\n', ' ')).append('\n');
        }
        entries.forEach((input, e) -> {
            sb.append("input ").append(input).append('\n');
            sb.append("  sha256 ").append(e.sha256()).append('\n');
            sb.append("  options ").append(e.options()).append('\n');
            sb.append("  compiler ").append(e.compiler()).append('\n');
            e.outputs().forEach(o -> sb.append("  output ").append(o).append('\n'));
        });
        return sb.toString();
    }

    void write(Path file, String comment) throws IOException {
        Io.writeAtomically(file, format(comment).getBytes(StandardCharsets.UTF_8));
    }
}
