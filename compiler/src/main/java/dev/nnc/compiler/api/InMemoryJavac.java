package dev.nnc.compiler.api;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.tools.DiagnosticCollector;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Generated sources → loaded classes, in memory (javax.tools): nothing is written to disk. Used by
 * {@code nnc train}, the benchmarks and the tests.
 */
public final class InMemoryJavac {
    /** The module of the generated {@code Simd} loops ({@code CompileOptions.vectorLoops}). */
    public static final String VECTOR_MODULE = "jdk.incubator.vector";

    private InMemoryJavac() {
    }

    /**
     * Whether this JDK's image has {@link #VECTOR_MODULE} (a jlinked runtime may not): compile with
     * {@code CompileOptions.withVectorLoops(hasVectorModule())} to get sources it can compile.
     */
    public static boolean hasVectorModule() {
        return java.lang.module.ModuleFinder.ofSystem().find(VECTOR_MODULE).isPresent();
    }

    /** Thrown when no Java compiler is available (a JRE instead of a JDK). */
    public static final class NoCompilerException extends RuntimeException {
        NoCompilerException() {
            super("no Java compiler in this runtime; run nnc with a JDK 25, not a JRE");
        }
    }

    /**
     * Compiles the sources against the running JVM's class path and loads them.
     *
     * @param strict treat javac warnings as errors (tests use it: generated code compiles without warnings)
     */
    public static Map<String, Class<?>> compile(List<GeneratedSource> sources, boolean strict) {
        Map<String, byte[]> classes = compileToBytes(sources, strict);
        ClassLoader loader = new ClassLoader(Thread.currentThread().getContextClassLoader() != null
                ? Thread.currentThread().getContextClassLoader() : InMemoryJavac.class.getClassLoader()) {
            @Override
            protected Class<?> findClass(String name) throws ClassNotFoundException {
                byte[] bytes = classes.get(name);
                if (bytes == null) throw new ClassNotFoundException(name);
                return defineClass(name, bytes, 0, bytes.length);
            }
        };
        Map<String, Class<?>> result = new HashMap<>();
        for (GeneratedSource s : sources) {
            try {
                result.put(s.qualifiedName(), loader.loadClass(s.qualifiedName()));
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
        }
        return result;
    }

    /**
     * Compiles the sources against the running JVM's class path; returns every class file javac
     * wrote (nested classes included) by binary name, without loading any of them.
     */
    public static Map<String, byte[]> compileToBytes(List<GeneratedSource> sources, boolean strict) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new NoCompilerException();
        }
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
            units.add(new SimpleJavaFileObject(URI.create("string:///" + s.relativePath().toString().replace('\\', '/')),
                    JavaFileObject.Kind.SOURCE) {
                @Override
                public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                    return s.code();
                }
            });
        }
        StringWriter out = new StringWriter();
        // the Simd loops use jdk.incubator.vector, which javac resolves only when asked (and only
        // when this JDK has it); its "incubating module" warning is the one strict mode lets through
        List<String> options = new ArrayList<>(List.of("-classpath", System.getProperty("java.class.path"),
                "-proc:none"));
        if (hasVectorModule()) options.addAll(List.of("--add-modules", VECTOR_MODULE));
        options.addAll(strict ? List.of("-Xlint:all,-incubating", "-Werror") : List.of("-nowarn"));
        if (!javac.getTask(out, fm, diags, options, null, units).call()) {
            StringBuilder sb = new StringBuilder("javac rejected the generated code (an nnc bug; please report it):");
            diags.getDiagnostics().forEach(d -> sb.append('\n').append(d));
            if (strict) sources.forEach(s -> sb.append('\n').append(s.code()));
            throw new IllegalStateException(sb.toString());
        }
        Map<String, byte[]> bytes = new HashMap<>();
        classes.forEach((name, o) -> bytes.put(name, o.toByteArray()));
        return bytes;
    }
}
