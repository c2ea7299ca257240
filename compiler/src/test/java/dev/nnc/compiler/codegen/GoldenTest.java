package dev.nnc.compiler.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.api.CompileResult;
import dev.nnc.compiler.api.Nnc;
import dev.nnc.compiler.api.SourceFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Pins the generated Java of samples/src/main/nn/logistic.nn, so that every change to generated
 * code shows up as a reviewed diff. Regenerate with {@code -Dnnc.updateGolden=true}.
 */
class GoldenTest {
    private static final Path SAMPLE = Path.of("../samples/src/main/nn/logistic.nn");
    private static final Path GOLDEN = Path.of("src/test/resources/golden/Logistic.java.golden");

    @Test
    void logisticMatchesGoldenFile() throws IOException {
        CompileResult r = Nnc.compile(SourceFile.read(SAMPLE), CompileOptions.defaults().withPackage("dev.nnc.samples"));
        assertTrue(r.ok(), r::formatDiagnostics);
        String actual = r.sources().getFirst().code();
        if (Boolean.getBoolean("nnc.updateGolden")) {
            Files.createDirectories(GOLDEN.getParent());
            Files.writeString(GOLDEN, actual);
        }
        if (!Files.exists(GOLDEN)) {
            fail("golden file " + GOLDEN.toAbsolutePath() + " is missing; create it with "
                    + "mvn -pl compiler test -Dtest=GoldenTest -Dnnc.updateGolden=true and review it");
        }
        assertEquals(Files.readString(GOLDEN), actual,
                "generated code for logistic.nn changed; review the diff, then update with -Dnnc.updateGolden=true");
    }

    @Test
    void generationIsDeterministic() throws IOException {
        SourceFile src = SourceFile.read(SAMPLE);
        String a = Nnc.compile(src, CompileOptions.defaults()).sources().getFirst().code();
        String b = Nnc.compile(src, CompileOptions.defaults()).sources().getFirst().code();
        assertEquals(a, b);
    }
}
