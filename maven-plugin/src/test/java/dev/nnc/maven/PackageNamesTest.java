package dev.nnc.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PackageNamesTest {

    @Test
    void directoryUnderTheSourceRootGivesThePackage() {
        assertEquals("com.acme", PackageNames.of(null, Path.of("com", "acme", "m.nn")));
        assertEquals("models", PackageNames.of(null, Path.of("models", "m.nn")));
    }

    @Test
    void fileAtTheRootGoesToTheDefaultPackage() {
        assertEquals("", PackageNames.of(null, Path.of("m.nn")));
    }

    @Test
    void configuredPackageWins() {
        assertEquals("dev.nnc.samples", PackageNames.of("dev.nnc.samples", Path.of("com", "acme", "m.nn")));
        assertEquals("dev.nnc.samples", PackageNames.of(" dev.nnc.samples ", Path.of("m.nn")));
    }

    @Test
    void blankConfiguredPackageMeansUnset() {
        assertEquals("com.acme", PackageNames.of("  ", Path.of("com", "acme", "m.nn")));
    }

    @Test
    void directoryThatIsNotAPackageNameIsAnErrorNamingIt() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> PackageNames.of(null, Path.of("my-models", "m.nn")));
        assertTrue(e.getMessage().contains("'my-models'"), e.getMessage());
        assertTrue(e.getMessage().contains("<packageName>"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PackageNames.of(null, Path.of("com", "class", "m.nn")));
        assertThrows(IllegalArgumentException.class, () -> PackageNames.of(null, Path.of("1st", "m.nn")));
    }

    @Test
    void invalidConfiguredPackageIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> PackageNames.of("com..acme", Path.of("m.nn")));
        assertThrows(IllegalArgumentException.class, () -> PackageNames.of("com.acme.", Path.of("m.nn")));
    }

    @Test
    void validity() {
        assertTrue(PackageNames.isValid(""));
        assertTrue(PackageNames.isValid("a.b_c.$d"));
        assertTrue(!PackageNames.isValid("int"));
        assertTrue(!PackageNames.isValid("a-b"));
    }
}
