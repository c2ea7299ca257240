package dev.nnc.maven;

import java.util.Properties;
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

    /** True when the build's compiler configuration makes the module visible (see the class comment). */
    static boolean compilerSeesModule(MavenProject project) {
        Properties props = project.getProperties();
        if (props != null && hasText(props.getProperty("maven.compiler.release"))) return true;
        Plugin compiler = project.getBuild() == null ? null : project.getBuild().getPluginsAsMap().get(COMPILER);
        if (compiler == null) return false;
        if (configured(compiler.getConfiguration())) return true;
        for (var execution : compiler.getExecutions()) {
            if (configured(execution.getConfiguration())) return true;
        }
        return false;
    }

    private static boolean configured(Object configuration) {
        if (!(configuration instanceof Xpp3Dom dom)) return false;
        Xpp3Dom release = dom.getChild("release");
        if (release != null && hasText(release.getValue())) return true;
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

    /** The warning the plugin logs when {@link #compilerSeesModule} is false. */
    static String warning() {
        return "nnc: the generated classes keep their elementwise loops on the JDK Vector API (nested class Simd),"
                + " and javac sees " + MODULE + " only with --release 25 or --add-modules " + MODULE + ": set"
                + " <maven.compiler.release>25</maven.compiler.release>, or add --add-modules " + MODULE
                + " to maven-compiler-plugin's compilerArgs, or set the nnc plugin's <vectorLoops>false</vectorLoops>";
    }
}
