package dev.nnc.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.api.CompileOptions.Precision;
import dev.nnc.compiler.api.CompileResult;
import dev.nnc.compiler.api.GeneratedSource;
import dev.nnc.compiler.api.SourceFile;
import dev.nnc.compiler.diag.Diagnostic;
import dev.nnc.compiler.diag.ErrorCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GeneratorTest {

    /**
     * Stands in for nnc: one class per {@code model Name} line; the word {@code oops} is an
     * undefined name wherever it appears; the word {@code crash} makes it throw.
     */
    static final class FakeCompiler implements Generator.Compiler {
        final List<String> compiled = new ArrayList<>();
        String stamp = "0.1.0 build=1";

        @Override
        public CompileResult compile(SourceFile source, CompileOptions options) {
            compiled.add(Path.of(source.name()).getFileName().toString());
            List<GeneratedSource> sources = new ArrayList<>();
            List<Diagnostic> diagnostics = new ArrayList<>();
            String[] lines = source.text().split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                Matcher m = Pattern.compile("^model (\\w+)").matcher(lines[i]);
                if (m.find()) {
                    sources.add(new GeneratedSource(options.packageName(), m.group(1),
                            "// " + options.dtype() + "\nclass " + m.group(1) + " {}\n"));
                }
                int col = lines[i].indexOf("oops");
                if (col >= 0) {
                    diagnostics.add(new Diagnostic(ErrorCode.UNDEFINED_NAME, source.name(), i + 1, col + 1,
                            "undefined name 'oops'", lines[i]));
                }
                if (lines[i].contains("crash")) {
                    throw new IllegalStateException("boom");
                }
            }
            return new CompileResult(diagnostics.isEmpty() ? sources : List.of(), diagnostics);
        }

        @Override
        public String stamp() {
            return stamp;
        }
    }

    @TempDir
    Path base;
    Path src;
    Path out;
    Path state;
    FakeCompiler compiler;

    @BeforeEach
    void setUp() {
        src = base.resolve("src/main/nn");
        out = base.resolve("target/generated-sources/nnc");
        state = base.resolve("target/nnc-state/default.state");
        compiler = new FakeCompiler();
    }

    private Generator.Report run(String packageName, Precision dtype) throws IOException {
        return new Generator(new Generator.Settings(src, out, state, packageName,
                dev.nnc.compiler.api.CompileOptions.defaults().withDtype(dtype)), compiler).run();
    }

    private Generator.Report run() throws IOException {
        return run(null, Precision.F32);
    }

    private Path write(String relative, String text) throws IOException {
        Path p = src.resolve(relative);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        return p;
    }

    /** Every file under the output directory, '/'-separated. */
    private List<String> outputs() throws IOException {
        if (!Files.isDirectory(out)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(out)) {
            return files.filter(Files::isRegularFile).map(p -> Io.slashed(out.relativize(p))).sorted().toList();
        }
    }

    @Test
    void compilesEveryFileIntoItsPackageThenLeavesThemAlone() throws IOException {
        write("com/acme/mlp.nn", "model Mlp {\n}\n");
        write("root.nn", "model Root {\n}\nmodel Second {\n}\n");
        write("notes.txt", "model Ignored {\n}\n");

        Generator.Report first = run();
        assertEquals(0, first.upToDate());
        assertEquals(List.of("com/acme/mlp.nn", "root.nn"), List.copyOf(first.compiled().keySet()));
        assertEquals("not compiled before", first.compiled().get("root.nn"));
        assertEquals(List.of("Root.java", "Second.java", "com/acme/Mlp.java"), outputs());
        assertTrue(Files.readString(out.resolve("com/acme/Mlp.java")).contains("class Mlp"));
        assertTrue(Files.isRegularFile(state));

        Generator.Report second = run();
        assertEquals(2, second.upToDate());
        assertTrue(second.compiled().isEmpty());
        assertEquals(2, compiler.compiled.size(), "nothing compiled the second time");
    }

    @Test
    void recompilesOnlyTheEditedFile() throws IOException {
        write("a.nn", "model A {\n}\n");
        Path b = write("b.nn", "model B {\n}\n");
        run();
        FileTime aTime = Files.getLastModifiedTime(out.resolve("A.java"));

        Files.writeString(b, "model B {\n  // edited\n}\n");
        Generator.Report report = run();
        assertEquals(1, report.upToDate());
        assertEquals(Map.of("b.nn", "content changed"), report.compiled());
        assertEquals(List.of("a.nn", "b.nn", "b.nn"), compiler.compiled);
        assertEquals(aTime, Files.getLastModifiedTime(out.resolve("A.java")));
    }

    @Test
    void changedOptionsOrCompilerRecompileEverything() throws IOException {
        write("a.nn", "model A {\n}\n");
        run();
        Generator.Report f64 = run(null, Precision.F64);
        assertTrue(f64.compiled().get("a.nn").startsWith("options changed"), f64.compiled().toString());
        assertTrue(Files.readString(out.resolve("A.java")).contains("F64"));

        Generator.Report pkg = run("x.y", Precision.F64);
        assertTrue(pkg.compiled().get("a.nn").startsWith("options changed"));
        assertEquals(List.of("x/y/A.java"), outputs(), "the class moved: the old file and its directory are gone");

        compiler.stamp = "0.1.0 build=2";
        assertTrue(run("x.y", Precision.F64).compiled().get("a.nn").startsWith("compiler changed"));
    }

    @Test
    void missingOutputsAreRegenerated() throws IOException {
        write("a.nn", "model A {\n}\n");
        run();
        Files.delete(out.resolve("A.java"));
        assertEquals(Map.of("a.nn", "A.java is missing"), run().compiled());
        assertEquals(List.of("A.java"), outputs());
    }

    @Test
    void outputsOfDeletedFilesAndRenamedModelsAreRemoved() throws IOException {
        Path gone = write("com/acme/gone.nn", "model Gone {\n}\n");
        Path kept = write("kept.nn", "model Old {\n}\n");
        run();
        assertEquals(List.of("Old.java", "com/acme/Gone.java"), outputs());

        Files.delete(gone);
        Files.writeString(kept, "model New {\n}\n");
        Generator.Report report = run();
        assertEquals(List.of("Old.java", "com/acme/Gone.java"), report.removed());
        assertEquals(List.of("New.java"), outputs());
        assertFalse(Files.exists(out.resolve("com")), "empty package directories are removed too");
        assertEquals(List.of("kept.nn"), List.copyOf(BuildState.read(state).inputs()));
    }

    @Test
    void missingSourceDirectoryRemovesEverythingGeneratedBefore() throws IOException {
        write("a.nn", "model A {\n}\n");
        run();
        Files.delete(src.resolve("a.nn"));
        Files.delete(src);
        Generator.Report report = run();
        assertEquals(List.of("A.java"), report.removed());
        assertEquals(List.of(), outputs());
    }

    @Test
    void reportsEveryErrorOfEveryFileAndStillCompilesTheGoodOnes() throws IOException {
        write("bad1.nn", "model Bad1 {\n  x = oops\n  y = oops + 1\n}\n");
        write("bad2.nn", "model Bad2 {\n\n\n\n  z = dense(oops, 3)\n}\n");
        write("good.nn", "model Good {\n}\n");

        Generator.Report report = run();
        assertEquals(3, report.errorCount());
        assertEquals(2, report.filesWithErrors());
        assertEquals(List.of("good.nn"), List.copyOf(report.compiled().keySet()));
        assertEquals(List.of("Good.java"), outputs());

        String bad2 = report.problems().get(2).text();
        assertTrue(bad2.startsWith(src.resolve("bad2.nn") + ":5:13: error: undefined name 'oops' [NNC010]"), bad2);
        assertTrue(bad2.endsWith("\n  z = dense(oops, 3)\n            ^"), bad2);
    }

    @Test
    void aFileWithErrorsKeepsItsPreviousOutputsAndIsRetriedNextTime() throws IOException {
        Path a = write("a.nn", "model A {\n}\n");
        run();
        Files.writeString(a, "model A {\n  oops\n}\n");
        assertEquals(1, run().errorCount());
        assertEquals(List.of("A.java"), outputs());
        assertEquals(1, run().errorCount(), "still broken: compiled again, fails again");

        Files.writeString(a, "model A {\n}\n");
        Files.setLastModifiedTime(a, FileTime.fromMillis(0));
        Generator.Report back = run();
        assertEquals(1, back.upToDate(), "text back to what generated the outputs");
        assertEquals(0, back.errorCount());
    }

    @Test
    void directoryThatIsNotAPackageIsAnErrorForThatFileOnly() throws IOException {
        write("my-models/a.nn", "model A {\n}\n");
        write("ok/b.nn", "model B {\n}\n");
        Generator.Report report = run();
        assertEquals(1, report.errorCount());
        assertTrue(report.problems().getFirst().text().contains("'my-models'"));
        assertEquals(List.of("ok/B.java"), outputs());

        assertEquals(0, run("com.acme", Precision.F32).errorCount(), "a configured package fixes it");
    }

    @Test
    void twoFilesGeneratingTheSameClassIsAnError() throws IOException {
        write("a.nn", "model Same {\n}\n");
        write("b.nn", "model Same {\n}\n");
        Generator.Report report = run("p", Precision.F32);
        assertEquals(1, report.errorCount());
        assertTrue(report.problems().getFirst().text().contains("generates p/Same.java, which a.nn generates too"),
                report.problems().getFirst().text());
        assertEquals(1, run("p", Precision.F32).errorCount(), "and stays one while both exist");
    }

    @Test
    void aCompilerCrashIsNotAUserError() throws IOException {
        write("a.nn", "model A {\n  crash\n}\n");
        var e = assertThrows(Generator.CompilerCrash.class, this::run);
        assertTrue(e.getMessage().contains("a.nn"));
        assertTrue(e.getCause() instanceof IllegalStateException);
    }

    @Test
    void leavesNoTemporaryFilesBehind() throws IOException {
        write("a.nn", "model A {\n}\n");
        run();
        write("a.nn", "model A {\n  // again\n}\n");
        run();
        assertEquals(List.of("A.java"), outputs());
        try (Stream<Path> files = Files.list(state.getParent())) {
            assertEquals(List.of("default.state"), files.map(p -> p.getFileName().toString()).toList());
        }
    }
}
