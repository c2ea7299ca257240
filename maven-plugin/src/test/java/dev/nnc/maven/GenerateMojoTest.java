package dev.nnc.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.api.CompileOptions.Precision;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.maven.plugin.MojoFailureException;
import org.junit.jupiter.api.Test;

class GenerateMojoTest {

    @Test
    void failureMessageCountsErrorsAndFiles() {
        assertEquals("nnc: 2 errors in 1 file", GenerateMojo.failure(2, 1));
        assertEquals("nnc: 1 error in 1 file", GenerateMojo.failure(1, 1));
        assertEquals("nnc: 5 errors in 3 files", GenerateMojo.failure(5, 3));
    }

    @Test
    void summary() {
        Map<String, String> compiled = new LinkedHashMap<>();
        compiled.put("a.nn", "content changed");
        assertEquals("nnc: 2 up to date, 1 compiled",
                GenerateMojo.summary(new Generator.Report(2, compiled, List.of(), List.of())));
        assertEquals("nnc: 0 up to date, 1 compiled, 1 stale output removed",
                GenerateMojo.summary(new Generator.Report(0, compiled, List.of("A.java"), List.of())));
    }

    @Test
    void stateFileIsNamedAfterBothDirectories() {
        Path src = Path.of("/p/src/main/nn");
        Path out = Path.of("/p/target/generated-sources/nnc");
        String name = GenerateMojo.stateFileName(src, out);
        assertTrue(name.matches("nnc-[0-9a-f]{12}\\.state"), name);
        assertEquals(name, GenerateMojo.stateFileName(src, out));
        assertNotEquals(name, GenerateMojo.stateFileName(Path.of("/p/src/test/nn"), out));
        assertNotEquals(name, GenerateMojo.stateFileName(src, Path.of("/p/target/other")));
    }

    @Test
    void dtype() throws MojoFailureException {
        assertEquals(Precision.F32, GenerateMojo.precision("f32"));
        assertEquals(Precision.F64, GenerateMojo.precision(" F64 "));
        assertThrows(MojoFailureException.class, () -> GenerateMojo.precision("f16"));
    }
}
