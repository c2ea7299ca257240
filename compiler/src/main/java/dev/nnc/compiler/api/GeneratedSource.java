package dev.nnc.compiler.api;

import java.nio.file.Path;

/** One generated Java compilation unit. */
public record GeneratedSource(String packageName, String className, String code) {

    public String qualifiedName() {
        return packageName.isEmpty() ? className : packageName + "." + className;
    }

    /** Path relative to a source root, e.g. {@code dev/nnc/samples/FashionMlp.java}. */
    public Path relativePath() {
        String dir = packageName.replace('.', '/');
        return dir.isEmpty() ? Path.of(className + ".java") : Path.of(dir, className + ".java");
    }
}
