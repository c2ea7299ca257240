package dev.nnc.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuildStateTest {

    @TempDir
    Path dir;

    private static BuildState sample() {
        BuildState s = new BuildState();
        s.put("com/acme/b.nn", new BuildState.Entry("bb", "package=com.acme dtype=F32 mode=TRAIN", "0.1.0 build=x",
                List.of("com/acme/B.java", "com/acme/B2.java")));
        s.put("a.nn", new BuildState.Entry("aa", "package= dtype=F64 mode=TRAIN", "0.1.0 build=x", List.of("A.java")));
        return s;
    }

    @Test
    void writesAndReadsBack() throws IOException {
        Path file = dir.resolve("nnc-state/default.state");
        Files.createDirectories(file.getParent());
        sample().write(file, "/src -> /out");
        BuildState read = BuildState.read(file);
        assertEquals(sample().format(), read.format());
        assertEquals(List.of("a.nn", "com/acme/b.nn"), List.copyOf(read.inputs()));
        assertEquals("package= dtype=F64 mode=TRAIN", read.get("a.nn").options());
        assertEquals(Set.of("A.java", "com/acme/B.java", "com/acme/B2.java"), read.allOutputs());
    }

    @Test
    void formatIsSortedAndReadable() {
        assertEquals("""
                nnc-state 1
                input a.nn
                  sha256 aa
                  options package= dtype=F64 mode=TRAIN
                  compiler 0.1.0 build=x
                  output A.java
                input com/acme/b.nn
                  sha256 bb
                  options package=com.acme dtype=F32 mode=TRAIN
                  compiler 0.1.0 build=x
                  output com/acme/B.java
                  output com/acme/B2.java
                """, sample().format());
    }

    @Test
    void commentLinesAreIgnored() {
        String text = sample().format("/src/main/nn -> /target/generated-sources/nnc");
        assertTrue(text.startsWith("nnc-state 1\n# /src/main/nn -> /target/generated-sources/nnc\ninput a.nn\n"), text);
        assertEquals(sample().format(), BuildState.parse(text.lines().toList()).format());
    }

    @Test
    void missingFileIsAnEmptyState() throws IOException {
        assertTrue(BuildState.read(dir.resolve("absent.state")).inputs().isEmpty());
    }

    @Test
    void anythingUnexpectedIsAnEmptyState() throws IOException {
        Path file = dir.resolve("x.state");
        Files.writeString(file, "garbage\n");
        assertTrue(BuildState.read(file).inputs().isEmpty());
        assertNull(BuildState.parse(List.of()));
        assertNull(BuildState.parse(List.of("nnc-state 2")));
        assertNull(BuildState.parse(List.of("nnc-state 1", "input a.nn", "  sha256 aa")));   // incomplete entry
        assertNull(BuildState.parse(List.of("nnc-state 1", "input a.nn", "  colour red")));
    }
}
