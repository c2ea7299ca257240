package dev.nnc.maven;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.api.CompileResult;
import dev.nnc.compiler.api.GeneratedSource;
import dev.nnc.compiler.api.SourceFile;
import dev.nnc.compiler.diag.Diagnostic;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Compiles every {@code *.nn} file under a source directory into Java sources under an output
 * directory, incrementally: inputs whose outputs are up to date (see {@link StaleCheck}) are left
 * alone, outputs of inputs that were deleted or renamed are removed. Knows nothing of Maven, so
 * tests drive it directly with a fake {@link Compiler}.
 *
 * <p>User errors never stop the run: every input is compiled and every diagnostic collected in the
 * {@link Report}. An input with errors keeps its previous outputs and state entry, so it is compiled
 * again next time (its hash no longer matches) unless its text goes back to what produced them.
 */
final class Generator {

    /** The compiler as the generator sees it. */
    interface Compiler {
        CompileResult compile(SourceFile source, CompileOptions options);

        /** Changes whenever the compiler may generate different code for the same input. */
        String stamp();
    }

    record Settings(Path sourceDirectory, Path outputDirectory, Path stateFile, String packageName,
                    CompileOptions options) {
    }

    /** A message about one input, already formatted: {@code file:line:col: error: ...}, the line, a caret. */
    record Problem(Path file, boolean error, String text) {
    }

    /**
     * @param upToDate inputs left alone
     * @param compiled inputs compiled successfully, each with the reason it was stale
     * @param removed  outputs deleted because no input generates them any more
     */
    record Report(int upToDate, Map<String, String> compiled, List<String> removed, List<Problem> problems) {

        int errorCount() {
            return (int) problems.stream().filter(Problem::error).count();
        }

        int filesWithErrors() {
            return (int) problems.stream().filter(Problem::error).map(Problem::file).distinct().count();
        }
    }

    /** The compiler threw: a bug in nnc, not in the user's program. */
    static final class CompilerCrash extends RuntimeException {
        CompilerCrash(Path file, RuntimeException cause) {
            super("nnc crashed while compiling " + file + ": " + cause, cause);
        }
    }

    private final Settings settings;
    private final Compiler compiler;

    Generator(Settings settings, Compiler compiler) {
        this.settings = settings;
        this.compiler = compiler;
    }

    Report run() throws IOException {
        Path sourceDir = settings.sourceDirectory();
        Path outputDir = settings.outputDirectory();
        BuildState previous = BuildState.read(settings.stateFile());
        BuildState next = new BuildState();
        String stamp = compiler.stamp();

        int upToDate = 0;
        Map<String, String> compiled = new LinkedHashMap<>();
        List<Problem> problems = new ArrayList<>();
        Map<String, String> owners = new HashMap<>();   // output -> the input that generates it

        for (Path file : findInputs(sourceDir)) {
            Path relative = sourceDir.relativize(file);
            String input = Io.slashed(relative);
            BuildState.Entry before = previous.get(input);
            String pkg;
            try {
                pkg = PackageNames.of(settings.packageName(), relative);
            } catch (IllegalArgumentException e) {
                problems.add(new Problem(file, true, file + ": error: " + e.getMessage()));
                keep(next, input, before);
                continue;
            }
            CompileOptions options = settings.options().withPackage(pkg);
            byte[] bytes = Files.readAllBytes(file);
            BuildState.Entry wanted = new BuildState.Entry(Io.sha256(bytes), describe(options), stamp, List.of());

            Optional<String> stale = StaleCheck.whyStale(before, wanted, Files.getLastModifiedTime(file), outputDir);
            if (stale.isEmpty()) {
                if (claim(owners, input, before.outputs(), file, problems)) {
                    upToDate++;
                }
                keep(next, input, before);
                continue;
            }

            CompileResult result;
            try {
                result = compiler.compile(new SourceFile(file.toString(), new String(bytes, StandardCharsets.UTF_8)),
                        options);
            } catch (RuntimeException e) {
                throw new CompilerCrash(file, e);
            }
            for (Diagnostic d : result.diagnostics()) {
                problems.add(new Problem(file, d.isError(), d.format()));
            }
            List<String> outputs = new ArrayList<>();
            for (GeneratedSource s : result.sources()) {
                outputs.add(Io.slashed(s.relativePath()));
            }
            if (!result.ok() || !claim(owners, input, outputs, file, problems)) {
                keep(next, input, before);
                continue;
            }
            for (GeneratedSource s : result.sources()) {
                Io.writeAtomically(inside(outputDir, Io.slashed(s.relativePath())),
                        s.code().getBytes(StandardCharsets.UTF_8));
            }
            next.put(input, new BuildState.Entry(wanted.sha256(), wanted.options(), stamp, outputs));
            compiled.put(input, stale.get());
        }

        List<String> removed = removeStale(previous.allOutputs(), next.allOutputs(), outputDir);
        Files.createDirectories(settings.stateFile().toAbsolutePath().getParent());
        next.write(settings.stateFile(), sourceDir + " -> " + outputDir);
        return new Report(upToDate, compiled, removed, problems);
    }

    /** Every regular {@code *.nn} file under {@code dir}, sorted; none when {@code dir} does not exist. */
    static List<Path> findInputs(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".nn") && Files.isRegularFile(p))
                    .sorted()
                    .toList();
        }
    }

    /** The part of the options that changes generated code, as recorded in the state file. */
    static String describe(CompileOptions o) {
        return "package=" + o.packageName() + " dtype=" + o.dtype() + " mode=" + o.mode() + " simplify=" + o.simplify()
                + " fuse=" + o.fuse() + " plan=" + o.plan() + " vectorLoops=" + o.vectorLoops();
    }

    /** Records that {@code input} generates {@code outputs}; reports a clash with another input. */
    private static boolean claim(Map<String, String> owners, String input, List<String> outputs, Path file,
                                 List<Problem> problems) {
        for (String output : outputs) {
            String other = owners.get(output);
            if (other != null) {
                problems.add(new Problem(file, true, file + ": error: generates " + output
                        + ", which " + other + " generates too; rename one of the models"));
                return false;
            }
        }
        outputs.forEach(o -> owners.put(o, input));
        return true;
    }

    /** After a failure, keeps the input's previous outputs on disk and its previous record. */
    private static void keep(BuildState next, String input, BuildState.Entry before) {
        if (before != null) {
            next.put(input, before);
        }
    }

    /** Deletes the outputs that were generated before but are not now, and directories left empty. */
    private static List<String> removeStale(Set<String> before, Set<String> now, Path outputDir) throws IOException {
        List<String> removed = new ArrayList<>();
        Path base = outputDir.toAbsolutePath().normalize();
        for (String output : before) {
            if (now.contains(output)) {
                continue;
            }
            Path file = inside(outputDir, output);
            if (Files.deleteIfExists(file)) {
                removed.add(output);
            }
            for (Path dir = file.getParent(); dir != null && !dir.equals(base) && isEmptyDirectory(dir);
                 dir = dir.getParent()) {
                Files.delete(dir);
            }
        }
        return removed;
    }

    private static boolean isEmptyDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            return !entries.iterator().hasNext();
        }
    }

    /** {@code dir/relative}, refusing paths that would leave {@code dir}. */
    private static Path inside(Path dir, String relative) throws IOException {
        Path base = dir.toAbsolutePath().normalize();
        Path p = base.resolve(relative).normalize();
        if (!p.startsWith(base) || p.equals(base)) {
            throw new IOException("refusing to write outside " + base + ": " + relative);
        }
        return p;
    }
}
