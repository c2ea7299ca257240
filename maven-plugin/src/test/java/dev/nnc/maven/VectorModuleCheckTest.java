package dev.nnc.maven;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.maven.model.Build;
import org.apache.maven.model.Model;
import org.apache.maven.model.Plugin;
import org.apache.maven.model.PluginExecution;
import org.apache.maven.project.MavenProject;
import org.codehaus.plexus.util.xml.Xpp3Dom;
import org.junit.jupiter.api.Test;

/** When the plugin warns that javac will not see the Vector API module of the Simd loops. */
class VectorModuleCheckTest {

    private static MavenProject project(Plugin compiler) {
        Model model = new Model();
        model.setBuild(new Build());
        if (compiler != null) model.getBuild().addPlugin(compiler);
        return new MavenProject(model);
    }

    private static Plugin compiler(Xpp3Dom configuration) {
        Plugin p = new Plugin();
        p.setGroupId("org.apache.maven.plugins");
        p.setArtifactId("maven-compiler-plugin");
        p.setConfiguration(configuration);
        return p;
    }

    /** maven-compiler-plugin with {@code configuration} on the execution {@code id} only. */
    private static Plugin compilerExecution(String id, Xpp3Dom configuration) {
        Plugin p = compiler(null);
        PluginExecution e = new PluginExecution();
        e.setId(id);
        e.setConfiguration(configuration);
        p.addExecution(e);
        return p;
    }

    /** A configuration whose compilerArgs are {@code args}. */
    private static Xpp3Dom compilerArgs(String... args) {
        Xpp3Dom list = new Xpp3Dom("compilerArgs");
        for (String a : args) list.addChild(dom("arg", a));
        Xpp3Dom cfg = new Xpp3Dom("configuration");
        cfg.addChild(list);
        return cfg;
    }

    private static Xpp3Dom dom(String name, String value) {
        Xpp3Dom d = new Xpp3Dom(name);
        d.setValue(value);
        return d;
    }

    @Test
    void noCompilerConfigurationWarns() {
        assertFalse(VectorModuleCheck.compilerSeesModule(project(null)));
        Xpp3Dom cfg = new Xpp3Dom("configuration");
        cfg.addChild(dom("source", "25"));
        cfg.addChild(dom("target", "25"));
        assertFalse(VectorModuleCheck.compilerSeesModule(project(compiler(cfg))), "-source/-target do not resolve it");
        cfg.addChild(compilerArgs("-Xlint:all").getChild("compilerArgs"));
        assertFalse(VectorModuleCheck.compilerSeesModule(project(compiler(cfg))));
    }

    @Test
    void releasePropertyOrConfigurationIsEnough() {
        MavenProject withProperty = project(null);
        withProperty.getProperties().setProperty("maven.compiler.release", "25");
        assertTrue(VectorModuleCheck.compilerSeesModule(withProperty));
        Xpp3Dom cfg = new Xpp3Dom("configuration");
        cfg.addChild(dom("release", "25"));
        assertTrue(VectorModuleCheck.compilerSeesModule(project(compiler(cfg))));
    }

    @Test
    void addModulesInCompilerArgsIsEnough() {
        Xpp3Dom cfg = compilerArgs("--add-modules", "jdk.incubator.vector");
        assertTrue(VectorModuleCheck.compilerSeesModule(project(compiler(cfg))));
        // also in an execution's configuration (default-compile)
        assertTrue(VectorModuleCheck.compilerSeesModule(project(compilerExecution("default-compile", cfg))));
    }

    @Test
    void aReleaseBelow25OrATestCompileSettingIsNotEnough() {
        Xpp3Dom cfg = new Xpp3Dom("configuration");
        cfg.addChild(dom("release", "21"));
        assertFalse(VectorModuleCheck.compilerSeesModule(project(compiler(cfg))));
        MavenProject old = project(null);
        old.getProperties().setProperty("maven.compiler.release", "17");
        assertFalse(VectorModuleCheck.compilerSeesModule(old));
        assertTrue(VectorModuleCheck.releaseOk("26"));
        assertTrue(VectorModuleCheck.releaseOk("${java.release}"), "an expression gets the benefit of the doubt");
        // --add-modules for the tests' compile only does not reach the generated classes
        Xpp3Dom testCfg = compilerArgs("--add-modules=jdk.incubator.vector");
        assertFalse(VectorModuleCheck.compilerSeesModule(project(compilerExecution("default-testCompile", testCfg))));
    }

    @Test
    void warnsOnlyWhenAGeneratedClassImportsTheModule(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        assertFalse(VectorModuleCheck.generatedUsesModule(dir.resolve("missing")));
        java.nio.file.Files.createDirectories(dir.resolve("com/acme"));
        java.nio.file.Files.writeString(dir.resolve("com/acme/A.java"), "import dev.nnc.runtime.Gemm;\nclass A {}\n");
        assertFalse(VectorModuleCheck.generatedUsesModule(dir));
        java.nio.file.Files.writeString(dir.resolve("com/acme/B.java"),
                "import jdk.incubator.vector.FloatVector;\nclass B {}\n");
        assertTrue(VectorModuleCheck.generatedUsesModule(dir));
    }

    @Test
    void theWarningNamesEveryWayOut() {
        String w = VectorModuleCheck.warning();
        assertTrue(w.contains("maven.compiler.release"), w);
        assertTrue(w.contains("--add-modules jdk.incubator.vector"), w);
        assertTrue(w.contains("<vectorLoops>false</vectorLoops>"), w);
    }
}
