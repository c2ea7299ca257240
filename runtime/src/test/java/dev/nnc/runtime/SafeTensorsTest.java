package dev.nnc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {

    static TensorInfo param(String name, int offset, int... shape) {
        return new TensorInfo(name, TensorInfo.Role.PARAM, DType.F32, shape, offset);
    }

    static final List<TensorInfo> PARAMS = List.of(param("w", 0, 2, 3), param("b", 6, 3), param("scalar", 9));

    @TempDir
    Path dir;

    private static float[] flatF() {
        float[] f = new float[10];
        for (int i = 0; i < f.length; i++) {
            f[i] = i * 0.5f - 1;
        }
        return f;
    }

    @Test
    void roundTripFloat() throws IOException {
        Path file = dir.resolve("w.safetensors");
        float[] flat = flatF();
        SafeTensors.save(file, PARAMS, flat);
        float[] back = new float[10];
        SafeTensors.load(file, PARAMS, back);
        assertArrayEquals(flat, back);
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file left behind");
        }
        // overwriting an existing file works too
        flat[0] = 42;
        SafeTensors.save(file, PARAMS, flat);
        SafeTensors.load(file, PARAMS, back);
        assertEquals(42, back[0]);
    }

    @Test
    void roundTripDouble() throws IOException {
        Path file = dir.resolve("d.safetensors");
        double[] flat = new double[10];
        for (int i = 0; i < flat.length; i++) {
            flat[i] = Math.PI * i;
        }
        SafeTensors.save(file, PARAMS, flat);
        double[] back = new double[10];
        SafeTensors.load(file, PARAMS, back);
        assertArrayEquals(flat, back);
    }

    @Test
    void writesTheSafetensorsLayout() throws Exception {
        Path file = dir.resolve("w.safetensors");
        SafeTensors.save(file, PARAMS, flatF());
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long n = bb.getLong();
        assertEquals(0, (8 + n) % 8, "data starts 8-byte aligned");
        String json = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        Map<?, ?> header = (Map<?, ?>) Json.parse(json);
        assertEquals(Map.of("format", "nnc"), header.get("__metadata__"));
        Map<?, ?> w = (Map<?, ?>) header.get("w");
        assertEquals("F32", w.get("dtype"));
        assertEquals(List.of(2L, 3L), w.get("shape"));
        assertEquals(List.of(0L, 24L), w.get("data_offsets"));
        assertEquals(List.of(24L, 36L), ((Map<?, ?>) header.get("b")).get("data_offsets"));
        assertEquals(List.of(), ((Map<?, ?>) header.get("scalar")).get("shape"));
        assertEquals(8 + n + 40, bytes.length);
        // little-endian data: w[1] = -0.5f
        assertEquals(-0.5f, bb.getFloat((int) (8 + n + 4)));
    }

    /** Writes a file with the given header and data section (the header length is its byte length). */
    private Path craft(String header, byte[] data) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer bb = ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(json.length).put(json).put(data);
        Path file = dir.resolve("crafted.safetensors");
        Files.write(file, bb.array());
        return file;
    }

    private static final String GOOD_HEADER = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[24,36]},"
            + "\"scalar\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[36,40]}}";

    private String loadError(Path file) {
        IOException e = assertThrows(IOException.class, () -> SafeTensors.load(file, PARAMS, new float[10]));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        return e.getMessage().substring(file.toString().length() + 2);
    }

    private String loadError(String header, int dataBytes) throws IOException {
        return loadError(craft(header, new byte[dataBytes]));
    }

    @Test
    void acceptsAHandWrittenFileWithoutMetadata() throws IOException {
        float[] flat = new float[10];
        SafeTensors.load(craft(GOOD_HEADER, new byte[40]), PARAMS, flat);
        assertArrayEquals(new float[10], flat);
    }

    @Test
    void rejectsATruncatedFile() throws IOException {
        Path file = dir.resolve("t.safetensors");
        Files.write(file, new byte[] {1, 2, 3});
        assertEquals("truncated: the file has 3 bytes, fewer than the 8-byte header length", loadError(file));

        SafeTensors.save(file, PARAMS, flatF());
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 1));
        assertEquals("truncated: tensor 'scalar' ends at byte 40 of the data, but the file holds 39 bytes of data",
                loadError(file));
    }

    @Test
    void rejectsAHeaderLongerThanTheFile() throws IOException {
        Path file = dir.resolve("h.safetensors");
        ByteBuffer bb = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN).putLong(1000);
        Files.write(file, bb.array());
        assertEquals("header length 1000 is larger than the file (20 bytes; is it a safetensors file?)", loadError(file));
        bb = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN).putLong(-1);
        Files.write(file, bb.array());
        assertTrue(loadError(file).startsWith("header length 18446744073709551615 is larger than the file"));
    }

    @Test
    void rejectsMalformedJson() throws IOException {
        assertEquals("malformed JSON header: unexpected '}', expected a value at character 5",
                loadError("{\"w\":}", 0));
        assertEquals("malformed JSON header: unexpected end of the header, expected a quoted key at character 57",
                loadError(GOOD_HEADER.substring(0, 57), 40));
        assertEquals("malformed JSON header: duplicate key \"w\" at character 8",
                loadError("{\"w\":{},\"w\":{}}", 0));
        assertEquals("the JSON header is not an object", loadError("[1,2]", 0));
        Path file = craft("{\"w\":\"\u00e9\"}", new byte[0]);
        byte[] bytes = Files.readAllBytes(file);
        bytes[14] = (byte) 0xFF; // break the UTF-8 sequence
        Files.write(file, bytes);
        assertEquals("the header is not valid UTF-8", loadError(file));
    }

    @Test
    void rejectsUnknownAndMissingTensors() throws IOException {
        String extra = GOOD_HEADER.substring(0, GOOD_HEADER.length() - 1)
                + ",\"v\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[40,44]}}";
        assertEquals("unexpected tensor 'v': the model has no such parameter (it has w, b, scalar)", loadError(extra, 44));

        Path file = dir.resolve("two.safetensors");
        SafeTensors.save(file, PARAMS.subList(0, 1), flatF());
        assertEquals("tensors 'b', 'scalar' are missing", loadError(file));
        SafeTensors.save(file, PARAMS.subList(0, 2), flatF());
        assertEquals("tensor 'scalar' is missing", loadError(file));
    }

    @Test
    void rejectsWrongDtypeAndShape() throws IOException {
        Path file = dir.resolve("d.safetensors");
        SafeTensors.save(file, PARAMS, new double[10]);
        assertEquals("tensor 'w' has dtype F64, but this f32 model expects F32", loadError(file));
        assertEquals("tensor 'w' has shape [3,2], but the model's parameter is [2,3]",
                loadError(GOOD_HEADER.replace("[2,3]", "[3,2]"), 40));
        assertEquals("tensor 'w': \"shape\" must hold non-negative integers, found -2",
                loadError(GOOD_HEADER.replace("[2,3]", "[-2,3]"), 40));
        assertEquals("tensor 'w': missing or non-string \"dtype\"",
                loadError(GOOD_HEADER.replace("\"dtype\":\"F32\",\"shape\":[2,3]", "\"shape\":[2,3]"), 40));
    }

    @Test
    void rejectsBadOffsets() throws IOException {
        assertEquals("tensor 'w': data_offsets [0,20] span 20 bytes, but its shape and dtype need 24",
                loadError(GOOD_HEADER.replace("[0,24]", "[0,20]"), 40));
        assertEquals("tensor 'w': data_offsets [24,0] end before they begin",
                loadError(GOOD_HEADER.replace("[0,24]", "[24,0]"), 40));
        assertEquals("tensors 'w' and 'b' overlap in the data section",
                loadError(GOOD_HEADER.replace("[0,24]", "[12,36]"), 40));
        assertEquals("tensor 'w': \"data_offsets\" must be an array of 2 non-negative integers",
                loadError(GOOD_HEADER.replace("[0,24]", "[0]"), 40));
        assertEquals("tensor 'w': \"data_offsets\" must hold non-negative integers, found 2.5",
                loadError(GOOD_HEADER.replace("[0,24]", "[2.5,24]"), 40));
        assertEquals("truncated: tensor 'scalar' ends at byte 40 of the data, but the file holds 38 bytes of data",
                loadError(GOOD_HEADER, 38));
    }

    @Test
    void reportsAMissingFile() {
        Path file = dir.resolve("nope.safetensors");
        assertEquals("no such file", loadError(file));
        IOException e = assertThrows(IOException.class,
                () -> SafeTensors.save(dir.resolve("sub/w.safetensors"), PARAMS, new float[10]));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }
}
