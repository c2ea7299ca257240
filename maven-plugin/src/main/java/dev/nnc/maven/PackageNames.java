package dev.nnc.maven;

import java.nio.file.Path;
import java.util.StringJoiner;
import javax.lang.model.SourceVersion;

/**
 * The Java package of the classes generated from one {@code .nn} file: the configured
 * {@code packageName} when there is one, else the file's directory under the source root, as for
 * Java sources ({@code src/main/nn/com/acme/m.nn} gives {@code com.acme}; a file at the root goes
 * to the default package).
 */
final class PackageNames {

    private PackageNames() {
    }

    /**
     * @param configured the {@code packageName} parameter, or null/blank when unset
     * @param relative   the file's path relative to the source root
     * @throws IllegalArgumentException with a message for the user when the result is not a Java package name
     */
    static String of(String configured, Path relative) {
        if (configured != null && !configured.isBlank()) {
            String p = configured.strip();
            if (!isValid(p)) {
                throw new IllegalArgumentException("packageName '" + p + "' is not a valid Java package name");
            }
            return p;
        }
        Path dir = relative.getParent();
        if (dir == null) {
            return "";
        }
        StringJoiner pkg = new StringJoiner(".");
        for (Path segment : dir) {
            pkg.add(segment.toString());
        }
        String p = pkg.toString();
        if (!isValid(p)) {
            throw new IllegalArgumentException("directory '" + Io.slashed(dir) + "' does not name a Java package ('"
                    + p + "'); rename it or set <packageName>");
        }
        return p;
    }

    /** True for "" (the default package) and for dotted Java identifiers that are not keywords. */
    static boolean isValid(String p) {
        return p.isEmpty() || SourceVersion.isName(p);
    }
}
