package dev.nnc.maven;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Optional;

/**
 * Decides whether one input must be compiled again. It need not when the state file records the
 * same content hash, options and compiler stamp, and every output it recorded still exists and is
 * not older than the input.
 */
final class StaleCheck {

    private StaleCheck() {
    }

    /**
     * @param previous  what the state file says about the input, or null when it says nothing
     * @param wanted    the input's hash, options and compiler stamp now (its outputs are ignored)
     * @param inputTime the input's modification time
     * @return why the input must be compiled, or empty when its outputs are up to date
     */
    static Optional<String> whyStale(BuildState.Entry previous, BuildState.Entry wanted, FileTime inputTime,
                                     Path outputDirectory) throws IOException {
        if (previous == null) {
            return Optional.of("not compiled before");
        }
        if (!previous.sha256().equals(wanted.sha256())) {
            return Optional.of("content changed");
        }
        if (!previous.options().equals(wanted.options())) {
            return Optional.of("options changed (" + previous.options() + " -> " + wanted.options() + ")");
        }
        if (!previous.compiler().equals(wanted.compiler())) {
            return Optional.of("compiler changed (" + previous.compiler() + " -> " + wanted.compiler() + ")");
        }
        for (String output : previous.outputs()) {
            Path file = outputDirectory.resolve(output);
            if (!Files.isRegularFile(file)) {
                return Optional.of(output + " is missing");
            }
            if (Files.getLastModifiedTime(file).compareTo(inputTime) < 0) {
                return Optional.of(output + " is older than its source");
            }
        }
        return Optional.empty();
    }
}
