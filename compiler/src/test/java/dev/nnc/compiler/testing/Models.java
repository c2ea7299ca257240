package dev.nnc.compiler.testing;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.api.CompileResult;
import dev.nnc.compiler.api.GeneratedSource;
import dev.nnc.compiler.api.Nnc;
import dev.nnc.compiler.api.SourceFile;
import dev.nnc.runtime.CompiledModel;
import java.util.List;
import java.util.Map;

/** Test helper: .nn text → generated Java → javac in memory (with -Werror) → a model instance. */
public final class Models {
    private Models() {
    }

    /** Compiles the first model of {@code nn}; fails the test with diagnostics when anything is wrong. */
    public static CompiledModel model(String fileName, String nn, CompileOptions options, int maxBatch, long seed) {
        CompileResult r = Nnc.compile(new SourceFile(fileName, nn), options);
        if (!r.ok()) throw new AssertionError("nnc failed:\n" + r.formatDiagnostics());
        try {
            Class<?> cls = compile(r.sources()).get(r.sources().getFirst().qualifiedName());
            return (CompiledModel) cls.getConstructor(int.class, long.class).newInstance(maxBatch, seed);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** javac over the sources, warnings as errors; returns the loaded classes by name. */
    public static Map<String, Class<?>> compile(List<GeneratedSource> sources) {
        return dev.nnc.compiler.api.InMemoryJavac.compile(sources, true);
    }
}
