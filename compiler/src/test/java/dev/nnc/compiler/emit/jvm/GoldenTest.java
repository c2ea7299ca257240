package dev.nnc.compiler.emit.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.api.CompileResult;
import dev.nnc.compiler.api.GeneratedSource;
import dev.nnc.compiler.api.Nnc;
import dev.nnc.compiler.api.SourceFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pins the generated Java of every sample in samples/src/main/nn, so that every change to
 * generated code shows up as a reviewed diff (golden files in src/test/resources/golden, one per
 * generated class). Regenerate with {@code -Dnnc.updateGolden=true}; a sample without a golden
 * file fails with that advice.
 */
class GoldenTest {
    private static final Path SAMPLES = Path.of("../samples/src/main/nn");
    private static final Path GOLDEN = Path.of("src/test/resources/golden");

    static Stream<String> samples() throws IOException {
        try (Stream<Path> files = Files.list(SAMPLES)) {
            return files.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".nn")).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void sampleMatchesItsGoldenFile(String sample) throws IOException {
        CompileResult r = Nnc.compile(SourceFile.read(SAMPLES.resolve(sample)),
                CompileOptions.defaults().withPackage("dev.nnc.samples"));
        assertTrue(r.ok(), r::formatDiagnostics);
        for (GeneratedSource g : r.sources()) {
            Path golden = GOLDEN.resolve(g.className() + ".java.golden");
            String actual = g.code();
            if (Boolean.getBoolean("nnc.updateGolden")) {
                Files.createDirectories(GOLDEN);
                Files.writeString(golden, actual);
            }
            if (!Files.exists(golden)) {
                fail("golden file " + golden.toAbsolutePath() + " is missing; create it with "
                        + "mvn -pl compiler test -Dtest=GoldenTest -Dnnc.updateGolden=true and review it");
            }
            assertEquals(Files.readString(golden), actual, "generated code for " + sample + " changed; review the "
                    + "diff, then update with -Dnnc.updateGolden=true");
        }
    }

    @Test
    void everySampleIsPinned() throws IOException {
        List<String> samples = samples().toList();
        assertTrue(samples.size() >= 4, "samples: " + samples);
    }

    @Test
    void generationIsDeterministic() throws IOException {
        for (String sample : samples().toList()) {
            SourceFile src = SourceFile.read(SAMPLES.resolve(sample));
            String a = Nnc.compile(src, CompileOptions.defaults()).sources().getFirst().code();
            String b = Nnc.compile(src, CompileOptions.defaults()).sources().getFirst().code();
            assertEquals(a, b, sample);
        }
    }
}
