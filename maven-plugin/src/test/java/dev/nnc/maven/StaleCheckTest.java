package dev.nnc.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StaleCheckTest {

    @TempDir
    Path out;

    private static final FileTime INPUT_TIME = FileTime.from(Instant.parse("2026-01-01T10:00:00Z"));
    private static final BuildState.Entry WANTED = new BuildState.Entry("h1", "package=a dtype=F32 mode=TRAIN",
            "0.1.0 build=1", List.of());
    private static final BuildState.Entry RECORDED = new BuildState.Entry("h1", "package=a dtype=F32 mode=TRAIN",
            "0.1.0 build=1", List.of("a/M.java"));

    @BeforeEach
    void writeOutput() throws IOException {
        Files.createDirectories(out.resolve("a"));
        Files.writeString(out.resolve("a/M.java"), "class M {}");
        Files.setLastModifiedTime(out.resolve("a/M.java"), FileTime.from(Instant.parse("2026-01-01T10:00:05Z")));
    }

    private Optional<String> why(BuildState.Entry recorded) throws IOException {
        return StaleCheck.whyStale(recorded, WANTED, INPUT_TIME, out);
    }

    @Test
    void upToDateWhenEverythingMatchesAndOutputsAreNewer() throws IOException {
        assertEquals(Optional.empty(), why(RECORDED));
    }

    @Test
    void outputAsOldAsTheInputIsUpToDate() throws IOException {
        Files.setLastModifiedTime(out.resolve("a/M.java"), INPUT_TIME);
        assertEquals(Optional.empty(), why(RECORDED));
    }

    @Test
    void neverCompiled() throws IOException {
        assertEquals(Optional.of("not compiled before"), why(null));
    }

    @Test
    void contentOptionsOrCompilerChanged() throws IOException {
        assertEquals(Optional.of("content changed"),
                why(new BuildState.Entry("h0", RECORDED.options(), RECORDED.compiler(), RECORDED.outputs())));
        assertTrue(why(new BuildState.Entry("h1", "package=a dtype=F64 mode=TRAIN", RECORDED.compiler(),
                RECORDED.outputs())).orElseThrow().startsWith("options changed"));
        assertTrue(why(new BuildState.Entry("h1", RECORDED.options(), "0.1.0 build=0", RECORDED.outputs()))
                .orElseThrow().startsWith("compiler changed"));
    }

    @Test
    void missingOutput() throws IOException {
        Files.delete(out.resolve("a/M.java"));
        assertEquals(Optional.of("a/M.java is missing"), why(RECORDED));
    }

    @Test
    void outputOlderThanInput() throws IOException {
        Files.setLastModifiedTime(out.resolve("a/M.java"), FileTime.from(Instant.parse("2026-01-01T09:59:59Z")));
        assertEquals(Optional.of("a/M.java is older than its source"), why(RECORDED));
    }
}
