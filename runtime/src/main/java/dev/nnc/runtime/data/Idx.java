package dev.nnc.runtime.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files, the format of MNIST and Fashion-MNIST
 * (<a href="http://yann.lecun.com/exdb/mnist/">LeCun et al.</a>): a big-endian header of a magic
 * number ({@code 0x00 0x00}, an element type, a dimension count), one 32-bit size per dimension,
 * then the elements. Images are {@code 0x00000803} (unsigned bytes, 3 dimensions: count, rows,
 * columns), labels {@code 0x00000801} (unsigned bytes, 1 dimension: count).
 *
 * <p>Files may be gzip-compressed or raw; compression is recognised by its magic bytes
 * {@code 1f 8b}, not by the file name. The reader checks the magic number, the dimensions and the
 * length (no missing and no extra bytes); any problem is a {@link DataFormatException} naming the
 * file and what is wrong.
 */
public final class Idx {

    /** Magic number of an image file: unsigned bytes, 3 dimensions. */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** Magic number of a label file: unsigned bytes, 1 dimension. */
    public static final int LABELS_MAGIC = 0x00000801;

    private static final int BUFFER = 1 << 16;
    private static final int MAX_ELEMENTS = Integer.MAX_VALUE - 8;
    /** Pixel value {@code i} scaled to [0, 1]: {@code i / 255f}. */
    private static final float[] SCALE = new float[256];

    static {
        for (int i = 0; i < SCALE.length; i++) {
            SCALE[i] = i / 255f;
        }
    }

    private Idx() {
    }

    /**
     * Images read from an IDX file.
     *
     * @param count  the number of images
     * @param rows   pixel rows per image
     * @param cols   pixel columns per image
     * @param pixels {@code count × rows × cols} values, scaled from 0..255 to [0, 1], row-major
     */
    public record Images(int count, int rows, int cols, float[] pixels) {
    }

    /** Reads an image file (gzip or raw). */
    public static Images readImages(Path file) throws IOException {
        try (InputStream in = open(file)) {
            return readImages(in, file.toString());
        }
    }

    /**
     * Reads an image file from {@code in} (gzip or raw), naming it {@code source} in messages; the
     * stream is read to its end but not closed.
     */
    public static Images readImages(InputStream in, String source) throws IOException {
        Reader r = new Reader(in, source);
        try {
            int[] dims = r.header(IMAGES_MAGIC, "an image file");
            int count = dims[0];
            int rows = dims[1];
            int cols = dims[2];
            if (rows == 0 || cols == 0) {
                throw r.bad("images of " + rows + "x" + cols + " pixels have no pixels");
            }
            long total = (long) count * rows * cols;
            if (total > MAX_ELEMENTS) {
                throw r.bad(count + " images of " + rows + "x" + cols + " are too many to hold in one array");
            }
            float[] pixels = new float[(int) total];
            r.payload(pixels, null, count + " images of " + rows + "x" + cols);
            return new Images(count, rows, cols, pixels);
        } catch (ZipException | EOFException e) {
            throw r.corrupt(e);
        }
    }

    /** Reads a label file (gzip or raw). */
    public static int[] readLabels(Path file) throws IOException {
        try (InputStream in = open(file)) {
            return readLabels(in, file.toString());
        }
    }

    /**
     * Reads a label file from {@code in} (gzip or raw), naming it {@code source} in messages; the
     * stream is read to its end but not closed.
     */
    public static int[] readLabels(InputStream in, String source) throws IOException {
        Reader r = new Reader(in, source);
        try {
            int[] dims = r.header(LABELS_MAGIC, "a label file");
            int[] labels = new int[dims[0]];
            r.payload(null, labels, dims[0] + " labels");
            return labels;
        } catch (ZipException | EOFException e) {
            throw r.corrupt(e);
        }
    }

    private static InputStream open(Path file) throws IOException {
        try {
            return Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "no such file");
        }
    }

    /** One pass over one IDX stream. */
    private static final class Reader {
        private final String source;
        private final BufferedInputStream raw;
        private InputStream in;
        private boolean gzip;

        Reader(InputStream stream, String source) {
            this.source = source;
            this.raw = new BufferedInputStream(stream, BUFFER);
        }

        /** Reads the header; returns the dimensions. */
        int[] header(int magic, String what) throws IOException {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            gzip = b0 == 0x1f && b1 == 0x8b;
            in = gzip ? new GZIPInputStream(raw, BUFFER) : raw;

            byte[] head = new byte[4];
            int got = readUpTo(head, 0, 4);
            if (got == 0) {
                throw bad("the file is empty");
            }
            if (got < 4) {
                throw bad("truncated: the file ends inside the 4-byte magic number");
            }
            int found = bigEndian(head, 0);
            if (found != magic) {
                if (head[0] != 0 || head[1] != 0 || (found & 0xFF) == 0) {
                    throw bad(String.format("not an IDX file: magic number 0x%08x, expected 0x%08x for %s",
                            found, magic, what));
                }
                if (head[2] != 0x08) {
                    throw bad(String.format("element type 0x%02x is not supported (magic number 0x%08x; only unsigned"
                            + " bytes, 0x08, are)", head[2], found));
                }
                String kind = found == IMAGES_MAGIC ? "an image file" : found == LABELS_MAGIC ? "a label file"
                        : "an IDX file with " + (found & 0xFF) + " dimensions";
                throw bad(String.format("is %s (magic number 0x%08x), expected %s (0x%08x)", kind, found, what, magic));
            }
            int rank = magic & 0xFF;
            byte[] sizes = new byte[4 * rank];
            if (readUpTo(sizes, 0, sizes.length) < sizes.length) {
                throw bad("truncated: the file ends inside the header's " + rank + " dimension sizes");
            }
            int[] dims = new int[rank];
            for (int i = 0; i < rank; i++) {
                dims[i] = bigEndian(sizes, 4 * i);
                if (dims[i] < 0) {
                    throw bad("dimension " + i + " has the impossible size " + Integer.toUnsignedString(dims[i]));
                }
            }
            return dims;
        }

        /** Reads exactly the payload into pixels (scaled) or labels, then checks that the stream ends. */
        void payload(float[] pixels, int[] labels, String what) throws IOException {
            int total = pixels != null ? pixels.length : labels.length;
            byte[] buf = new byte[BUFFER];
            int done = 0;
            while (done < total) {
                int n = in.read(buf, 0, Math.min(buf.length, total - done));
                if (n < 0) {
                    throw bad("truncated: the header announces " + what + " (" + total + " bytes of data), but "
                            + (gzip ? "the decompressed data holds" : "the file holds") + " only " + done);
                }
                if (pixels != null) {
                    for (int i = 0; i < n; i++) {
                        pixels[done + i] = SCALE[buf[i] & 0xFF];
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        labels[done + i] = buf[i] & 0xFF;
                    }
                }
                done += n;
            }
            if (in.read() >= 0) {
                throw bad("extra data after the " + what + " the header announces (is the count in the header wrong?)");
            }
        }

        private int readUpTo(byte[] b, int off, int len) throws IOException {
            int done = 0;
            while (done < len) {
                int n = in.read(b, off + done, len - done);
                if (n < 0) {
                    break;
                }
                done += n;
            }
            return done;
        }

        DataFormatException bad(String what) {
            return new DataFormatException(source + ": " + what);
        }

        DataFormatException corrupt(IOException e) {
            return new DataFormatException(source + ": corrupt or truncated gzip data (" + e.getMessage() + ")", e);
        }

        private static int bigEndian(byte[] b, int off) {
            return (b[off] & 0xFF) << 24 | (b[off + 1] & 0xFF) << 16 | (b[off + 2] & 0xFF) << 8 | (b[off + 3] & 0xFF);
        }
    }
}
