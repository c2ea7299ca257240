package dev.nnc.maven;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.maven.model.Plugin;
import org.apache.maven.project.MavenProject;
import org.codehaus.plexus.util.xml.Xpp3Dom;

/**
 * Whether the project's javac will see {@code jdk.incubator.vector}, which the generated classes'
 * {@code Simd} loops import: it does with {@code --release 25} ({@code maven.compiler.release}, or
 * {@code <release>} in maven-compiler-plugin's configuration) or with {@code --add-modules
 * jdk.incubator.vector} among its {@code compilerArgs}. Otherwise the plugin warns before javac
 * fails with "package jdk.incubator.vector is not visible".
 */
final class VectorModuleCheck {
    static final String COMPILER = "org.apache.maven.plugins:maven-compiler-plugin";
    static final String MODULE = "jdk.incubator.vector";

    private VectorModuleCheck() {
    }

    /**
     * True when the build's compiler configuration makes the module visible (see the class
     * comment): a {@code maven.compiler.release} of 25 or more in the project or on the command
     * line ({@code -D}, which Maven also sets as a system property), or in maven-compiler-plugin's
     * configuration for the main compile (the plugin's own or its {@code default-compile}
     * execution's; a {@code default-testCompile} setting does not compile the generated classes).
     */
    static boolean compilerSeesModule(MavenProject project) {
        Properties props = project.getProperties();
        if (props != null && releaseOk(props.getProperty("maven.compiler.release"))) return true;
        if (releaseOk(System.getProperty("maven.compiler.release"))) return true;
        Plugin compiler = project.getBuild() == null ? null : project.getBuild().getPluginsAsMap().get(COMPILER);
        if (compiler == null) return false;
        if (configured(compiler.getConfiguration())) return true;
        for (var execution : compiler.getExecutions()) {
            if ("default-compile".equals(execution.getId()) && configured(execution.getConfiguration())) return true;
        }
        return false;
    }

    /**
     * A release javac resolves the module for: 25 or more. A value that is not a number (an
     * expression Maven left as is) is given the benefit of the doubt.
     */
    static boolean releaseOk(String release) {
        if (!hasText(release)) return false;
        try {
            return Integer.parseInt(release.strip()) >= 25;
        } catch (NumberFormatException e) {
            return true;
        }
    }

    private static boolean configured(Object configuration) {
        if (!(configuration instanceof Xpp3Dom dom)) return false;
        Xpp3Dom release = dom.getChild("release");
        if (release != null && releaseOk(release.getValue())) return true;
        Xpp3Dom args = dom.getChild("compilerArgs");
        if (args != null) {
            for (Xpp3Dom arg : args.getChildren()) {
                if (arg.getValue() != null && arg.getValue().contains(MODULE)) return true;
            }
        }
        Xpp3Dom arg = dom.getChild("compilerArgument");
        return arg != null && arg.getValue() != null && arg.getValue().contains(MODULE);
    }

    private static boolean hasText(String s) {
        return s != null && !s.isBlank();
    }

    /** Whether any generated source under {@code outputs} imports the module (has a {@code Simd} class). */
    static boolean generatedUsesModule(Path outputs) throws IOException {
        if (!Files.isDirectory(outputs)) return false;
        try (Stream<Path> files = Files.walk(outputs)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                if (Files.readString(f).contains("import " + MODULE + ".")) return true;
            }
        }
        return false;
    }

    /** The warning the plugin logs when {@link #compilerSeesModule} is false. */
    static String warning() {
        return "nnc: the generated classes keep their elementwise loops on the JDK Vector API (nested class Simd),"
                + " and javac sees " + MODULE + " only with --release 25 or --add-modules " + MODULE + ": set"
                + " <maven.compiler.release>25</maven.compiler.release>, or add --add-modules " + MODULE
                + " to maven-compiler-plugin's compilerArgs, or set the nnc plugin's <vectorLoops>false</vectorLoops>";
    }
}
