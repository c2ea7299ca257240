package dev.nnc.runtime.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017; © Zalando SE, MIT licence): 28×28 grey-scale
 * pictures of clothes in 10 classes, 60000 for training and 10000 for testing.
 *
 * <p>{@link #load()} uses the full data set when it is installed in {@link #DEFAULT_DIR} (as the
 * Debian package {@code dataset-fashion-mnist} does), and otherwise the subset embedded in this jar:
 * the first 6000 training and the first 1000 test examples. The {@link DataSplit#description()}
 * says which one was used. Features are pixels scaled to [0, 1] with shape {@code [1, 28, 28]}
 * (channels, rows, columns); labels are class indices, see {@link #CLASS_NAMES}.
 */
public final class FashionMnist {

    /** Where the Debian package {@code dataset-fashion-mnist} installs the data set. */
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    /** The class names, indexed by label. */
    public static final List<String> CLASS_NAMES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** Number of classes. */
    public static final int CLASSES = 10;

    static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
    static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
    static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
    static final String TEST_LABELS = "t10k-labels-idx1-ubyte";
    private static final List<String> FILES = List.of(TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS);

    /** Class-path folder of the embedded subset (gzip IDX files). */
    static final String RESOURCE_DIR = "/dev/nnc/runtime/data/fashion-mnist-subset/";

    private FashionMnist() {
    }

    /**
     * The full data set from {@link #DEFAULT_DIR} when its four files are there, else the embedded
     * subset.
     *
     * @throws IOException when the installed files exist but cannot be read or are malformed
     */
    public static DataSplit load() throws IOException {
        return isInstalled(DEFAULT_DIR) ? load(DEFAULT_DIR) : embedded();
    }

    /**
     * Whether {@code dir} holds the four Fashion-MNIST files ({@code train-images-idx3-ubyte.gz},
     * {@code train-labels-idx1-ubyte.gz}, {@code t10k-images-idx3-ubyte.gz},
     * {@code t10k-labels-idx1-ubyte.gz}, each also accepted without {@code .gz}).
     */
    public static boolean isInstalled(Path dir) {
        for (String name : FILES) {
            if (find(dir, name) == null) {
                return false;
            }
        }
        return true;
    }

    /**
     * The data set from the four IDX files in {@code dir} (gzip or raw, see {@link #isInstalled}).
     *
     * @throws IOException when a file is missing, unreadable or malformed ({@link DataFormatException})
     */
    public static DataSplit load(Path dir) throws IOException {
        for (String name : FILES) {
            if (find(dir, name) == null) {
                throw new IOException(dir + ": no " + name + ".gz (nor " + name + "); expected the four Fashion-MNIST"
                        + " IDX files there (install the Debian package dataset-fashion-mnist, or download them from"
                        + " https://github.com/zalandoresearch/fashion-mnist)");
            }
        }
        Dataset train = read("fashion-mnist train", find(dir, TRAIN_IMAGES), find(dir, TRAIN_LABELS));
        Dataset test = read("fashion-mnist test", find(dir, TEST_IMAGES), find(dir, TEST_LABELS));
        return new DataSplit(train, test, "Fashion-MNIST (full: " + train.count() + " train / " + test.count()
                + " test) from " + dir);
    }

    /**
     * The subset embedded in this jar: the first 6000 training and the first 1000 test examples of
     * Fashion-MNIST.
     *
     * @throws IllegalStateException when the jar lacks the embedded files (a packaging error)
     */
    public static DataSplit embedded() {
        try {
            Dataset train = dataset("fashion-mnist train (subset)", resourceImages(TRAIN_IMAGES), RESOURCE_DIR + TRAIN_IMAGES,
                    resourceLabels(TRAIN_LABELS), RESOURCE_DIR + TRAIN_LABELS);
            Dataset test = dataset("fashion-mnist test (subset)", resourceImages(TEST_IMAGES), RESOURCE_DIR + TEST_IMAGES,
                    resourceLabels(TEST_LABELS), RESOURCE_DIR + TEST_LABELS);
            return new DataSplit(train, test, "Fashion-MNIST embedded subset (" + train.count() + " train / "
                    + test.count() + " test; install the Debian package dataset-fashion-mnist for the full set)");
        } catch (IOException e) {
            throw new UncheckedIOException("the embedded Fashion-MNIST subset is unreadable: " + e.getMessage(), e);
        }
    }

    private static Idx.Images resourceImages(String name) throws IOException {
        try (InputStream in = resource(name)) {
            return Idx.readImages(in, RESOURCE_DIR + name + ".gz");
        }
    }

    private static int[] resourceLabels(String name) throws IOException {
        try (InputStream in = resource(name)) {
            return Idx.readLabels(in, RESOURCE_DIR + name + ".gz");
        }
    }

    private static InputStream resource(String name) {
        InputStream in = FashionMnist.class.getResourceAsStream(RESOURCE_DIR + name + ".gz");
        if (in == null) {
            throw new IllegalStateException("the embedded Fashion-MNIST subset is missing from the class path ("
                    + RESOURCE_DIR + name + ".gz); the nnc-runtime jar is incomplete");
        }
        return in;
    }

    /** {@code dir/name.gz} or {@code dir/name}, whichever exists (the first), or null. */
    private static Path find(Path dir, String name) {
        Path gz = dir.resolve(name + ".gz");
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        Path raw = dir.resolve(name);
        return Files.isRegularFile(raw) ? raw : null;
    }

    private static Dataset read(String name, Path images, Path labels) throws IOException {
        return dataset(name, Idx.readImages(images), images.toString(), Idx.readLabels(labels), labels.toString());
    }

    /** Pairs images with labels, checking counts, size and label range. */
    private static Dataset dataset(String name, Idx.Images images, String imageSource, int[] labels, String labelSource)
            throws DataFormatException {
        if (images.count() != labels.length) {
            throw new DataFormatException(labelSource + ": " + labels.length + " labels, but " + imageSource + " holds "
                    + images.count() + " images");
        }
        if (images.rows() != 28 || images.cols() != 28) {
            throw new DataFormatException(imageSource + ": images of " + images.rows() + "x" + images.cols()
                    + " pixels, Fashion-MNIST has 28x28");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] >= CLASSES) {
                throw new DataFormatException(labelSource + ": label " + labels[i] + " of example " + i
                        + " is not a Fashion-MNIST class (0-9)");
            }
        }
        return new Dataset(name, images.pixels(), labels, images.count(), new int[] {1, images.rows(), images.cols()});
    }
}
