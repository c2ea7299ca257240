package dev.nnc.runtime.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.zip.GZIPOutputStream;

/** Builds small IDX files in memory for tests. */
final class IdxFiles {

    private IdxFiles() {
    }

    /** An image file: magic 0x803, count, rows, cols, then the pixel bytes. */
    static byte[] images(int count, int rows, int cols, byte[] pixels) {
        ByteBuffer bb = ByteBuffer.allocate(16 + pixels.length);
        bb.putInt(Idx.IMAGES_MAGIC).putInt(count).putInt(rows).putInt(cols).put(pixels);
        return bb.array();
    }

    /** A label file: magic 0x801, count, then the label bytes. */
    static byte[] labels(byte... labels) {
        ByteBuffer bb = ByteBuffer.allocate(8 + labels.length);
        bb.putInt(Idx.LABELS_MAGIC).putInt(labels.length).put(labels);
        return bb.array();
    }

    /** {@code n} images of rows×cols whose pixel i of image j is (j * 31 + i) mod 256. */
    static byte[] pattern(int n, int rows, int cols) {
        byte[] p = new byte[n * rows * cols];
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < rows * cols; i++) {
                p[j * rows * cols + i] = (byte) (j * 31 + i);
            }
        }
        return p;
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
