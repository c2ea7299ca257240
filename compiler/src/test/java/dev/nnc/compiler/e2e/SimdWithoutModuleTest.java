package dev.nnc.compiler.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.api.CompileResult;
import dev.nnc.compiler.api.InMemoryJavac;
import dev.nnc.compiler.api.Nnc;
import dev.nnc.compiler.api.SourceFile;
import dev.nnc.runtime.Batch;
import dev.nnc.runtime.CompiledModel;
import dev.nnc.runtime.Lanes;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A generated class with a {@code Simd} class loads and trains in a JVM without
 * {@code jdk.incubator.vector}: the kernels run their scalar loops, the {@code Simd} class is never
 * loaded, and the numbers are those of a JVM that has the module but turned it off.
 */
class SimdWithoutModuleTest {

    /** In the child JVM: args = class directory, model class. Prints the losses of three steps. */
    public static void main(String[] args) throws Exception {
        try (Loader loader = new Loader(Path.of(args[0]))) {
            CompiledModel m = (CompiledModel) loader.loadClass(args[1]).getConstructor(int.class, long.class)
                    .newInstance(13, 5L);
            Batch b = GradientCheckTest.randomBatch(m, 13, new Random(9));
            StringBuilder losses = new StringBuilder();
            for (int s = 0; s < 3; s++) losses.append(Double.doubleToLongBits(m.trainStep(b))).append(',');
            System.out.println("lanes=" + Lanes.ON + " simdLoaded=" + loader.loaded(args[1] + "$Simd") + " losses="
                    + losses);
        }
    }

    /** Loads the generated classes from a directory and says which it has loaded. */
    private static final class Loader extends URLClassLoader {
        Loader(Path dir) throws Exception {
            super(new URL[] {dir.toUri().toURL()}, SimdWithoutModuleTest.class.getClassLoader());
        }

        boolean loaded(String name) {
            return findLoadedClass(name) != null;
        }
    }

    @Test
    void trainsWithTheScalarLoopsWithoutTheModule(@TempDir Path dir) throws Exception {
        CompileResult r = Nnc.compile(new SourceFile("lanes.nn", SimdLoopsTest.ALL_LANE_OPS), CompileOptions.defaults());
        assertTrue(r.ok(), r.formatDiagnostics());
        String cls = r.sources().getFirst().qualifiedName();
        Map<String, byte[]> classes = InMemoryJavac.compileToBytes(r.sources(), true);
        assertTrue(classes.containsKey(cls + "$Simd"), classes.keySet().toString());
        for (var e : classes.entrySet()) Files.write(dir.resolve(e.getKey() + ".class"), e.getValue());

        String without = child(dir, cls);
        String off = child(dir, cls, "--add-modules", "jdk.incubator.vector", "-Dnnc.vector=false");
        String on = child(dir, cls, "--add-modules", "jdk.incubator.vector");
        assertTrue(without.startsWith("lanes=false simdLoaded=false losses="), without);
        assertTrue(off.startsWith("lanes=false simdLoaded=false losses="), off);
        assertTrue(on.startsWith("lanes=true simdLoaded=true losses="), on);
        assertEquals(without.substring(without.indexOf("losses=")), off.substring(off.indexOf("losses=")),
                "the same plain kernels and scalar loops with and without the module");
    }

    private static String child(Path dir, String cls, String... jvmArgs) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(List.of(jvmArgs));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), SimdWithoutModuleTest.class.getName(),
                dir.toString(), cls));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child JVM finished");
        assertEquals(0, p.exitValue(), out);
        return out.lines().filter(l -> l.startsWith("lanes=")).findFirst().orElse(out);
    }
}
