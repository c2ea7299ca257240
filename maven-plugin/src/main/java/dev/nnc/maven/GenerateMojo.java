package dev.nnc.maven;

import dev.nnc.compiler.api.CompileOptions;

import dev.nnc.compiler.api.CompileOptions.Precision;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugin.logging.Log;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;

/**
 * Compiles every {@code *.nn} file under {@code sourceDirectory} to Java sources in
 * {@code outputDirectory} and adds that directory to the project's compile source roots.
 *
 * <p>Incremental: a file is compiled again only when its text, the options or the compiler changed,
 * or its outputs are missing or older than it; outputs of deleted files are removed. Errors in the
 * {@code .nn} programs are all printed (file, line, column, the line and a caret) before the build
 * fails.
 */
@Mojo(name = "generate", defaultPhase = LifecyclePhase.GENERATE_SOURCES, threadSafe = true)
public class GenerateMojo extends AbstractMojo {

    /** Where the {@code .nn} programs are; subdirectories give the package unless {@code packageName} is set. */
    @Parameter(property = "nnc.sourceDirectory", defaultValue = "${project.basedir}/src/main/nn", required = true)
    private File sourceDirectory;

    /** Where the generated Java sources go; added as a compile source root. */
    @Parameter(property = "nnc.outputDirectory", defaultValue = "${project.build.directory}/generated-sources/nnc",
            required = true)
    private File outputDirectory;

    /** Java package of every generated class; when unset, the file's directory under {@code sourceDirectory}. */
    @Parameter(property = "nnc.packageName")
    private String packageName;

    /** Precision of the generated models: {@code f32} or {@code f64}. */
    @Parameter(property = "nnc.dtype", defaultValue = "f32", required = true)
    private String dtype;

    /** {@code train} (forward, backward, optimizer) or {@code inference} (forward only). */
    @Parameter(property = "nnc.mode", defaultValue = "train", required = true)
    private String mode;

    /**
     * The optional passes to run, comma-separated: {@code simplify,fuse,plan} (the default). Leave
     * one out to switch it off, e.g. {@code simplify,plan} for one kernel per op.
     */
    @Parameter(property = "nnc.passes", defaultValue = "simplify,fuse,plan", required = true)
    private String passes;

    /**
     * Whether each generated class keeps the lane-parallel form of its elementwise loops (a nested
     * {@code Simd} class on the JDK Vector API, run when the JVM has {@code jdk.incubator.vector}).
     * Such sources compile with {@code maven.compiler.release} 25, or with
     * {@code --add-modules jdk.incubator.vector} in the compiler's arguments; {@code false} leaves the
     * class out (same results, slower elementwise loops).
     */
    @Parameter(property = "nnc.vectorLoops", defaultValue = "true")
    private boolean vectorLoops;

    /** Skips the goal (and does not add the output directory as a source root). */
    @Parameter(property = "nnc.skip", defaultValue = "false")
    private boolean skip;

    /**
     * Holds what each input generated last time: one small file per pair of source and output
     * directories, so that every execution over the same files (a lifecycle run, {@code mvn nnc:generate}
     * with other options) shares it and sees what the others wrote.
     */
    @Parameter(defaultValue = "${project.build.directory}/nnc-state", readonly = true, required = true)
    private File stateDirectory;

    @Parameter(defaultValue = "${project}", readonly = true, required = true)
    private MavenProject project;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        Log log = getLog();
        if (skip) {
            log.info("nnc: skipped");
            return;
        }
        if (packageName != null && !PackageNames.isValid(packageName.strip())) {
            throw new MojoFailureException("nnc: packageName '" + packageName + "' is not a valid Java package name");
        }
        Path sources = sourceDirectory.toPath().toAbsolutePath().normalize();
        Path outputs = outputDirectory.toPath().toAbsolutePath().normalize();
        Generator.Settings settings = new Generator.Settings(sources, outputs,
                stateDirectory.toPath().toAbsolutePath().resolve(stateFileName(sources, outputs)),
                packageName, options());

        Generator.Report report;
        try {
            report = new Generator(settings, new NncCompiler()).run();
        } catch (Generator.CompilerCrash e) {
            throw new MojoExecutionException(e.getMessage() + " (a bug in nnc: please report it with the .nn file)",
                    e.getCause());
        } catch (IOException | RuntimeException e) {
            throw new MojoExecutionException("nnc: " + e, e);
        }
        project.addCompileSourceRoot(outputs.toString());
        try {
            if (vectorLoops && !VectorModuleCheck.compilerSeesModule(project)
                    && VectorModuleCheck.generatedUsesModule(outputs)) {
                log.warn(VectorModuleCheck.warning());
            }
        } catch (IOException e) {
            throw new MojoExecutionException("nnc: " + e, e);
        }
        log.debug("nnc: state in " + settings.stateFile());

        for (Generator.Problem p : report.problems()) {
            if (p.error()) {
                log.error(p.text());
            } else {
                log.warn(p.text());
            }
        }
        if (log.isDebugEnabled()) {
            for (Map.Entry<String, String> e : report.compiled().entrySet()) {
                log.debug("nnc: compiled " + e.getKey() + ": " + e.getValue());
            }
            report.removed().forEach(r -> log.debug("nnc: removed " + r));
        }
        log.info(summary(report));
        if (report.errorCount() > 0) {
            throw new MojoFailureException(failure(report.errorCount(), report.filesWithErrors()));
        }
    }

    /** {@code nnc-<12 hex digits>.state}, the same for every execution over the same two directories. */
    static String stateFileName(Path sources, Path outputs) {
        String key = sources + "\n" + outputs;
        return "nnc-" + Io.sha256(key.getBytes(StandardCharsets.UTF_8)).substring(0, 12) + ".state";
    }

    /** {@code nnc: 2 up to date, 1 compiled}, plus the number of stale outputs removed, if any. */
    static String summary(Generator.Report report) {
        String s = "nnc: " + report.upToDate() + " up to date, " + report.compiled().size() + " compiled";
        int removed = report.removed().size();
        return removed == 0 ? s : s + ", " + removed + " stale " + plural(removed, "output") + " removed";
    }

    /** {@code nnc: 2 errors in 1 file}. */
    static String failure(int errors, int files) {
        return "nnc: " + errors + " " + plural(errors, "error") + " in " + files + " " + plural(files, "file");
    }

    private CompileOptions options() throws MojoFailureException {
        CompileOptions o = CompileOptions.defaults().withDtype(precision(dtype)).withVectorLoops(vectorLoops);
        o = switch (mode == null ? "" : mode.strip().toLowerCase(Locale.ROOT)) {
            case "train" -> o.withMode(CompileOptions.Mode.TRAIN);
            case "inference" -> o.withMode(CompileOptions.Mode.INFERENCE);
            default -> throw new MojoFailureException("nnc: mode must be train or inference, got '" + mode + "'");
        };
        try {
            return o.withPasses(java.util.Arrays.stream(passes.split(",")).map(String::strip)
                    .filter(s -> !s.isEmpty()).toList());
        } catch (IllegalArgumentException e) {
            throw new MojoFailureException("nnc: passes: " + e.getMessage());
        }
    }

    static Precision precision(String dtype) throws MojoFailureException {
        return switch (dtype == null ? "" : dtype.strip().toLowerCase(Locale.ROOT)) {
            case "f32" -> Precision.F32;
            case "f64" -> Precision.F64;
            default -> throw new MojoFailureException("nnc: dtype must be f32 or f64, got '" + dtype + "'");
        };
    }

    private static String plural(int n, String word) {
        return n == 1 ? word : word + "s";
    }
}
