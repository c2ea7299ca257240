package dev.nnc.compiler.testing;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.api.CompileResult;
import dev.nnc.compiler.api.GeneratedSource;
import dev.nnc.compiler.api.Nnc;
import dev.nnc.compiler.api.SourceFile;
import dev.nnc.runtime.CompiledModel;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/** Test helper: .nn text → generated Java → javac in memory (with -Werror) → a model instance. */
public final class InMemoryJavac {
    private InMemoryJavac() {
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
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diags = new DiagnosticCollector<>();
        StandardJavaFileManager std = javac.getStandardFileManager(diags, null, null);
        Map<String, ByteArrayOutputStream> classes = new HashMap<>();
        JavaFileManager fm = new ForwardingJavaFileManager<>(std) {
            @Override
            public JavaFileObject getJavaFileForOutput(Location location, String className, JavaFileObject.Kind kind,
                    FileObject sibling) {
                return new SimpleJavaFileObject(URI.create("mem:///" + className.replace('.', '/') + ".class"), kind) {
                    @Override
                    public OutputStream openOutputStream() {
                        ByteArrayOutputStream out = new ByteArrayOutputStream();
                        classes.put(className, out);
                        return out;
                    }
                };
            }
        };
        List<JavaFileObject> units = new ArrayList<>();
        for (GeneratedSource s : sources) {
            units.add(new SimpleJavaFileObject(URI.create("string:///" + s.relativePath()), JavaFileObject.Kind.SOURCE) {
                @Override
                public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                    return s.code();
                }
            });
        }
        StringWriter out = new StringWriter();
        List<String> opts = List.of("-classpath", System.getProperty("java.class.path"), "-Xlint:all", "-Werror",
                "-proc:none");
        boolean ok = javac.getTask(out, fm, diags, opts, null, units).call();
        if (!ok) {
            StringBuilder sb = new StringBuilder("javac failed on generated code:\n");
            for (Diagnostic<?> d : diags.getDiagnostics()) sb.append(d).append('\n');
            sources.forEach(s -> sb.append(s.code()));
            throw new AssertionError(sb.toString());
        }
        ClassLoader loader = new ClassLoader(InMemoryJavac.class.getClassLoader()) {
            @Override
            protected Class<?> findClass(String name) throws ClassNotFoundException {
                ByteArrayOutputStream b = classes.get(name);
                if (b == null) throw new ClassNotFoundException(name);
                byte[] bytes = b.toByteArray();
                return defineClass(name, bytes, 0, bytes.length);
            }
        };
        Map<String, Class<?>> result = new HashMap<>();
        for (GeneratedSource s : sources) {
            try {
                result.put(s.qualifiedName(), loader.loadClass(s.qualifiedName()));
            } catch (ClassNotFoundException e) {
                throw new AssertionError(e);
            }
        }
        return result;
    }
}
