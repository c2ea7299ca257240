package dev.nnc.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {

    @TempDir
    Path dir;

    private Path write(String name, byte[] content) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, content);
        return file;
    }

    @Test
    void readsRawAndGzipImages() throws IOException {
        byte[] pixels = IdxFiles.pattern(3, 2, 4);
        pixels[0] = (byte) 255;
        pixels[1] = 0;
        byte[] raw = IdxFiles.images(3, 2, 4, pixels);
        for (Path file : new Path[] {write("raw", raw), write("gz", IdxFiles.gzip(raw)), write("misnamed.gz", raw)}) {
            Idx.Images im = Idx.readImages(file);
            assertEquals(3, im.count());
            assertEquals(2, im.rows());
            assertEquals(4, im.cols());
            assertEquals(24, im.pixels().length);
            assertEquals(1f, im.pixels()[0]);
            assertEquals(0f, im.pixels()[1]);
            for (int i = 2; i < 24; i++) {
                assertEquals((pixels[i] & 0xFF) / 255f, im.pixels()[i], "pixel " + i);
            }
        }
    }

    @Test
    void readsLabels() throws IOException {
        byte[] raw = IdxFiles.labels((byte) 0, (byte) 9, (byte) 200);
        assertArrayEquals(new int[] {0, 9, 200}, Idx.readLabels(write("l", raw)));
        assertArrayEquals(new int[] {0, 9, 200}, Idx.readLabels(new ByteArrayInputStream(IdxFiles.gzip(raw)), "mem"));
        assertArrayEquals(new int[0], Idx.readLabels(write("empty-set", IdxFiles.labels())));
    }

    private String error(byte[] content, boolean images) throws IOException {
        Path file = write("bad", content);
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> {
                    if (images) {
                        Idx.readImages(file);
                    } else {
                        Idx.readLabels(file);
                    }
                });
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        return e.getMessage().substring(file.toString().length() + 2);
    }

    @Test
    void rejectsTruncatedFiles() throws IOException {
        byte[] raw = IdxFiles.images(3, 2, 4, IdxFiles.pattern(3, 2, 4));
        assertEquals("truncated: the header announces 3 images of 2x4 (24 bytes of data), but the file holds only 20",
                error(Arrays.copyOf(raw, raw.length - 4), true));
        assertEquals("truncated: the header announces 3 images of 2x4 (24 bytes of data), but the decompressed"
                + " data holds only 20", error(IdxFiles.gzip(Arrays.copyOf(raw, raw.length - 4)), true));
        assertEquals("truncated: the file ends inside the header's 3 dimension sizes", error(Arrays.copyOf(raw, 10), true));
        assertEquals("truncated: the file ends inside the 4-byte magic number", error(Arrays.copyOf(raw, 2), true));
        assertEquals("the file is empty", error(new byte[0], true));
        byte[] gz = IdxFiles.gzip(raw);
        assertTrue(error(Arrays.copyOf(gz, gz.length - 12), true).startsWith("corrupt or truncated gzip data"));
    }

    @Test
    void rejectsExtraData() throws IOException {
        byte[] raw = IdxFiles.images(2, 2, 4, IdxFiles.pattern(3, 2, 4));
        assertEquals("extra data after the 2 images of 2x4 the header announces (is the count in the header wrong?)",
                error(raw, true));
    }

    @Test
    void rejectsBadMagicNumbers() throws IOException {
        byte[] labels = IdxFiles.labels((byte) 1, (byte) 2);
        assertEquals("is a label file (magic number 0x00000801), expected an image file (0x00000803)", error(labels, true));
        byte[] images = IdxFiles.images(1, 1, 1, new byte[1]);
        assertEquals("is an image file (magic number 0x00000803), expected a label file (0x00000801)", error(images, false));
        assertEquals("not an IDX file: magic number 0x89504e47, expected 0x00000803 for an image file",
                error(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 0}, true));
        byte[] floats = images.clone();
        floats[2] = 0x0D;
        assertEquals("element type 0x0d is not supported (magic number 0x00000d03; only unsigned bytes, 0x08, are)",
                error(floats, true));
        byte[] negative = IdxFiles.images(1, 1, 1, new byte[1]);
        negative[4] = (byte) 0xFF;
        assertEquals("dimension 0 has the impossible size 4278190081", error(negative, true));
        assertEquals("images of 0x5 pixels have no pixels", error(IdxFiles.images(3, 0, 5, new byte[0]), true));
    }

    @Test
    void rejectsCorruptGzip() throws IOException {
        byte[] gz = IdxFiles.gzip(IdxFiles.images(4, 8, 8, IdxFiles.pattern(4, 8, 8)));
        for (int i = 12; i < gz.length - 8; i++) {
            gz[i] ^= (byte) 0x5A;
        }
        String message = error(gz, true);
        assertTrue(message.startsWith("corrupt or truncated gzip data") || message.startsWith("truncated")
                || message.startsWith("extra data") || message.startsWith("not an IDX"), message);
    }

    @Test
    void reportsAMissingFile() {
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> Idx.readImages(dir.resolve("none")));
        assertEquals(dir.resolve("none") + ": no such file", e.getMessage());
    }
}
