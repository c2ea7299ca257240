package dev.nnc.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistTest {

    @TempDir
    Path dir;

    @Test
    void embeddedSubset() {
        DataSplit split = FashionMnist.embedded();
        assertEquals("Fashion-MNIST embedded subset (6000 train / 1000 test; install the Debian package"
                + " dataset-fashion-mnist for the full set)", split.description());
        assertEquals(6000, split.train().count());
        assertEquals(1000, split.test().count());
        assertEquals(784, split.train().featureSize());
        assertArrayEquals(new int[] {1, 28, 28}, split.train().featureShape());
        int[] perClass = new int[10];
        for (int i = 0; i < 6000; i++) {
            perClass[split.train().labels()[i]]++;
        }
        for (int c : perClass) {
            assertTrue(c > 450 && c < 750, Arrays.toString(perClass));
        }
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float v : split.test().features()) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertEquals(0f, min);
        assertEquals(1f, max);
    }

    @Test
    void fullSetWhenInstalled() throws IOException {
        assumeTrue(FashionMnist.isInstalled(FashionMnist.DEFAULT_DIR), "Fashion-MNIST is not installed");
        DataSplit full = FashionMnist.load();
        assertEquals("Fashion-MNIST (full: 60000 train / 10000 test) from /usr/share/datasets/fashion-mnist",
                full.description());
        assertEquals(60000, full.train().count());
        assertEquals(10000, full.test().count());
        // the embedded subset is the head of the full set
        DataSplit sub = FashionMnist.embedded();
        assertArrayEquals(sub.test().features(), Arrays.copyOf(full.test().features(), 1000 * 784));
        assertArrayEquals(sub.train().labels(), Arrays.copyOf(full.train().labels(), 6000));
    }

    private void writeSet(boolean gzip, int train, int test, byte trainLabel) throws IOException {
        byte[] trainLabels = new byte[train];
        Arrays.fill(trainLabels, trainLabel);
        byte[][] files = {
            IdxFiles.images(train, 28, 28, IdxFiles.pattern(train, 28, 28)), IdxFiles.labels(trainLabels),
            IdxFiles.images(test, 28, 28, IdxFiles.pattern(test, 28, 28)), IdxFiles.labels(new byte[test]),
        };
        String[] names = {FashionMnist.TRAIN_IMAGES, FashionMnist.TRAIN_LABELS, FashionMnist.TEST_IMAGES,
            FashionMnist.TEST_LABELS};
        for (int i = 0; i < 4; i++) {
            Files.write(dir.resolve(names[i] + (gzip ? ".gz" : "")), gzip ? IdxFiles.gzip(files[i]) : files[i]);
        }
    }

    @Test
    void loadsADirectoryOfRawOrGzipFiles() throws IOException {
        for (boolean gzip : new boolean[] {false, true}) {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            writeSet(gzip, 5, 3, (byte) 7);
            assertTrue(FashionMnist.isInstalled(dir));
            DataSplit split = FashionMnist.load(dir);
            assertEquals("Fashion-MNIST (full: 5 train / 3 test) from " + dir, split.description());
            assertEquals(5, split.train().count());
            assertEquals(7, split.train().labels()[4]);
            assertEquals((31 + 2) / 255f, split.train().features()[784 + 2]);
        }
    }

    @Test
    void reportsMissingFilesAndBadLabels() throws IOException {
        assertTrue(!FashionMnist.isInstalled(dir));
        IOException e = assertThrows(IOException.class, () -> FashionMnist.load(dir));
        assertTrue(e.getMessage().startsWith(dir + ": no train-images-idx3-ubyte.gz (nor train-images-idx3-ubyte)"),
                e.getMessage());
        writeSet(false, 2, 1, (byte) 12);
        DataFormatException d = assertThrows(DataFormatException.class, () -> FashionMnist.load(dir));
        assertEquals(dir.resolve("train-labels-idx1-ubyte") + ": label 12 of example 0 is not a Fashion-MNIST class (0-9)",
                d.getMessage());
        Files.write(dir.resolve("train-labels-idx1-ubyte"), IdxFiles.labels((byte) 1));
        d = assertThrows(DataFormatException.class, () -> FashionMnist.load(dir));
        assertEquals(dir.resolve("train-labels-idx1-ubyte") + ": 1 labels, but " + dir.resolve("train-images-idx3-ubyte")
                + " holds 2 images", d.getMessage());
    }

    @Test
    void datasetChecksItsArrays() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Dataset("d", new float[10], new int[3], 3, new int[] {4}));
        assertEquals("data set 'd': 3 examples of [4] need 12 feature values, the array holds 10", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Dataset("d", new float[12], new int[2], 3, new int[] {4}));
        assertEquals("data set 'd': 3 examples need 3 labels, the array holds 2", e.getMessage());
        assertEquals(12, new Dataset("d", new float[24], new int[2], 2, new int[] {3, 4}).featureSize());
    }
}
