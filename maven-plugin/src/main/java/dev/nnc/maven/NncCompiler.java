package dev.nnc.maven;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.api.CompileResult;
import dev.nnc.compiler.api.Nnc;
import dev.nnc.compiler.api.SourceFile;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.stream.Stream;

/** The real compiler, {@code nnc-compiler} on the plugin's class path. */
final class NncCompiler implements Generator.Compiler {

    private final String stamp;

    NncCompiler() {
        this.stamp = Nnc.version() + " build=" + buildId();
    }

    @Override
    public CompileResult compile(SourceFile source, CompileOptions options) {
        return Nnc.compile(source, options);
    }

    @Override
    public String stamp() {
        return stamp;
    }

    /**
     * Identifies the compiler build, so that a rebuilt SNAPSHOT compiler (same {@link Nnc#version()})
     * regenerates everything: a hash of the jar's bytes, or of the names, sizes and times of the
     * class files when the compiler comes from a reactor's {@code target/classes}.
     */
    private static String buildId() {
        try {
            CodeSource source = Nnc.class.getProtectionDomain().getCodeSource();
            if (source == null || source.getLocation() == null) {
                return "unknown";
            }
            Path location = Path.of(source.getLocation().toURI());
            String hash;
            if (Files.isRegularFile(location)) {
                hash = Io.sha256(Files.readAllBytes(location));
            } else {
                StringBuilder listing = new StringBuilder();
                try (Stream<Path> files = Files.walk(location)) {
                    for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                        listing.append(Io.slashed(location.relativize(f))).append(' ').append(Files.size(f))
                                .append(' ').append(Files.getLastModifiedTime(f).toMillis()).append('\n');
                    }
                }
                hash = Io.sha256(listing.toString().getBytes(StandardCharsets.UTF_8));
            }
            return hash.substring(0, 12);
        } catch (IOException | URISyntaxException | RuntimeException e) {
            return "unknown";
        }
    }
}
