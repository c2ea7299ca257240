package dev.nnc.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes a model's parameters in the safetensors format
 * (<a href="https://github.com/huggingface/safetensors">huggingface/safetensors</a>), so weights
 * move between nnc models and other tools:
 * <pre>
 * 8 bytes    N, the header length (unsigned little-endian)
 * N bytes    JSON: {"__metadata__":{...},"name":{"dtype":"F32","shape":[784,256],"data_offsets":[begin,end]},...}
 *            padded with spaces so that the data starts 8-byte aligned
 * rest       the tensors' bytes, little-endian, offsets relative to the start of this section
 * </pre>
 *
 * <p>The element type follows the flat buffer: {@code F32} from a {@code float[]}, {@code F64} from a
 * {@code double[]}. {@link #save} writes a temporary file in the target's directory and renames it
 * over the target, so a crash never leaves a half-written weights file. {@link #load} accepts only a
 * file whose tensors are exactly the model's parameters, with the same dtypes and shapes; every
 * problem is an {@link IOException} whose message names the file and what is wrong.
 */
public final class SafeTensors {

    /** Largest header accepted, as in the reference implementation. */
    static final long MAX_HEADER = 100_000_000;
    private static final String METADATA = "__metadata__";
    private static final int IO_CHUNK = 1 << 20;

    private SafeTensors() {
    }

    // ------------------------------------------------------------------ save

    /** Writes {@code params} (slices of {@code flat}) to {@code path} as F32 tensors. */
    public static void save(Path path, List<TensorInfo> params, float[] flat) throws IOException {
        save(path, params, new Source(flat, null));
    }

    /** Writes {@code params} (slices of {@code flat}) to {@code path} as F64 tensors. */
    public static void save(Path path, List<TensorInfo> params, double[] flat) throws IOException {
        save(path, params, new Source(null, flat));
    }

    /** One flat buffer, float or double. */
    private record Source(float[] f, double[] d) {
        DType dtype() {
            return f != null ? DType.F32 : DType.F64;
        }

        int length() {
            return f != null ? f.length : d.length;
        }
    }

    private static void save(Path path, List<TensorInfo> params, Source src) throws IOException {
        DType dtype = src.dtype();
        StringBuilder header = new StringBuilder("{\"" + METADATA + "\":{\"format\":\"nnc\"}");
        long offset = 0;
        for (TensorInfo p : params) {
            Params.checkSlice(p, src.length());
            long bytes = (long) p.rowSize() * dtype.bytes();
            header.append(',').append(Json.quote(p.name())).append(":{\"dtype\":\"").append(dtype.safetensorsName())
                    .append("\",\"shape\":").append(Arrays.toString(p.shape()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        header.append('}');
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;

        Path target = path.toAbsolutePath();
        Path dir = target.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IOException(target + ": the directory " + dir + " does not exist");
        }
        // a fresh name beside the target (same file system, so the rename can be atomic), created
        // with the default permissions a plain new file gets
        Path tmp = dir.resolve("." + target.getFileName() + "." + ProcessHandle.current().pid() + "."
                + Long.toHexString(System.nanoTime()) + ".tmp");
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.allocate(IO_CHUNK).order(ByteOrder.LITTLE_ENDIAN);
                buf.putLong(padded);
                writeAll(ch, buf);
                ByteBuffer head = ByteBuffer.allocate(padded);
                head.put(json);
                while (head.hasRemaining()) {
                    head.put((byte) ' ');
                }
                head.flip();
                while (head.hasRemaining()) {
                    ch.write(head);
                }
                for (TensorInfo p : params) {
                    int off = p.offset();
                    int count = p.rowSize();
                    int perChunk = IO_CHUNK / dtype.bytes();
                    for (int done = 0; done < count; ) {
                        int n = Math.min(perChunk, count - done);
                        if (src.f() != null) {
                            buf.asFloatBuffer().put(src.f(), off + done, n);
                        } else {
                            buf.asDoubleBuffer().put(src.d(), off + done, n);
                        }
                        buf.position(n * dtype.bytes());
                        writeAll(ch, buf);
                        done += n;
                    }
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Writes {@code buf}'s content [0, position) and clears it. */
    private static void writeAll(FileChannel ch, ByteBuffer buf) throws IOException {
        buf.flip();
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
        buf.clear();
    }

    // ------------------------------------------------------------------ load

    /** Reads F32 tensors named after {@code params} from {@code path} into {@code flat}. */
    public static void load(Path path, List<TensorInfo> params, float[] flat) throws IOException {
        load(path, params, new Source(flat, null));
    }

    /** Reads F64 tensors named after {@code params} from {@code path} into {@code flat}. */
    public static void load(Path path, List<TensorInfo> params, double[] flat) throws IOException {
        load(path, params, new Source(null, flat));
    }

    /** One tensor entry of a header, checked against the parameter it must fill. */
    private record Entry(TensorInfo param, long begin, long end) {
    }

    private static void load(Path path, List<TensorInfo> params, Source dst) throws IOException {
        for (TensorInfo p : params) {
            Params.checkSlice(p, dst.length());
        }
        DType dtype = dst.dtype();
        if (!Files.isRegularFile(path)) {
            throw new IOException(path + ": " + (Files.exists(path) ? "not a regular file" : "no such file"));
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw bad(path, "truncated: the file has " + size + " bytes, fewer than the 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, path);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen < 0 || headerLen > size - 8) {
                throw bad(path, "header length " + Long.toUnsignedString(headerLen) + " is larger than the file ("
                        + size + " bytes; is it a safetensors file?)");
            }
            if (headerLen > MAX_HEADER) {
                throw bad(path, "header length " + headerLen + " exceeds the limit of " + MAX_HEADER + " bytes");
            }
            ByteBuffer headBuf = ByteBuffer.allocate((int) headerLen);
            readFully(ch, headBuf, 8, path);
            headBuf.flip();
            String json;
            try {
                json = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(headBuf).toString();
            } catch (CharacterCodingException e) {
                throw bad(path, "the header is not valid UTF-8");
            }
            Object root;
            try {
                root = Json.parse(json);
            } catch (Json.SyntaxError e) {
                throw bad(path, "malformed JSON header: " + e.getMessage());
            }
            if (!(root instanceof Map<?, ?> header)) {
                throw bad(path, "the JSON header is not an object");
            }
            long dataLen = size - 8 - headerLen;
            List<Entry> entries = entries(path, header, params, dtype, dataLen);
            long dataStart = 8 + headerLen;
            ByteBuffer buf = ByteBuffer.allocate(IO_CHUNK).order(ByteOrder.LITTLE_ENDIAN);
            for (Entry e : entries) {
                int off = e.param().offset();
                int count = e.param().rowSize();
                int perChunk = IO_CHUNK / dtype.bytes();
                long pos = dataStart + e.begin();
                for (int done = 0; done < count; ) {
                    int n = Math.min(perChunk, count - done);
                    buf.clear().limit(n * dtype.bytes());
                    readFully(ch, buf, pos, path);
                    buf.flip();
                    if (dst.f() != null) {
                        buf.asFloatBuffer().get(dst.f(), off + done, n);
                    } else {
                        buf.asDoubleBuffer().get(dst.d(), off + done, n);
                    }
                    pos += (long) n * dtype.bytes();
                    done += n;
                }
            }
        }
    }

    /** Checks the header against the parameters; returns one entry per parameter, in order. */
    private static List<Entry> entries(Path path, Map<?, ?> header, List<TensorInfo> params, DType dtype, long dataLen)
            throws IOException {
        Map<String, TensorInfo> byName = new HashMap<>();
        for (TensorInfo p : params) {
            byName.put(p.name(), p);
        }
        Map<String, Entry> found = new HashMap<>();
        for (Map.Entry<?, ?> kv : header.entrySet()) {
            String name = (String) kv.getKey();
            if (name.equals(METADATA)) {
                if (!(kv.getValue() instanceof Map<?, ?>)) {
                    throw bad(path, "\"" + METADATA + "\" is not an object");
                }
                continue;
            }
            TensorInfo p = byName.get(name);
            if (p == null) {
                throw bad(path, "unexpected tensor '" + name + "': the model has no such parameter (it has "
                        + String.join(", ", params.stream().map(TensorInfo::name).toList()) + ")");
            }
            if (!(kv.getValue() instanceof Map<?, ?> t)) {
                throw bad(path, "tensor '" + name + "': the entry is not an object");
            }
            Object dt = t.get("dtype");
            if (!(dt instanceof String dts)) {
                throw bad(path, "tensor '" + name + "': missing or non-string \"dtype\"");
            }
            if (!dts.equals(dtype.safetensorsName())) {
                throw bad(path, "tensor '" + name + "' has dtype " + dts + ", but this " + dtype.name().toLowerCase()
                        + " model expects " + dtype.safetensorsName());
            }
            long[] shape = longs(path, name, "shape", t.get("shape"), -1);
            int[] expected = p.shape();
            boolean same = shape.length == expected.length;
            for (int i = 0; same && i < shape.length; i++) {
                same = shape[i] == expected[i];
            }
            if (!same) {
                throw bad(path, "tensor '" + name + "' has shape " + Arrays.toString(shape).replace(" ", "")
                        + ", but the model's parameter is " + Arrays.toString(expected).replace(" ", ""));
            }
            long[] offsets = longs(path, name, "data_offsets", t.get("data_offsets"), 2);
            long begin = offsets[0];
            long end = offsets[1];
            if (begin > end) {
                throw bad(path, "tensor '" + name + "': data_offsets [" + begin + "," + end + "] end before they begin");
            }
            long bytes = (long) p.rowSize() * dtype.bytes();
            if (end - begin != bytes) {
                throw bad(path, "tensor '" + name + "': data_offsets [" + begin + "," + end + "] span " + (end - begin)
                        + " bytes, but its shape and dtype need " + bytes);
            }
            if (end > dataLen) {
                throw bad(path, "truncated: tensor '" + name + "' ends at byte " + end + " of the data, but the file holds "
                        + dataLen + " bytes of data");
            }
            found.put(name, new Entry(p, begin, end));
        }
        List<String> missing = params.stream().map(TensorInfo::name).filter(n -> !found.containsKey(n)).toList();
        if (!missing.isEmpty()) {
            throw bad(path, (missing.size() == 1 ? "tensor '" + missing.get(0) + "' is" : "tensors '"
                    + String.join("', '", missing) + "' are") + " missing");
        }
        List<Entry> sorted = new ArrayList<>(found.values());
        sorted.sort(Comparator.comparingLong(Entry::begin));
        for (int i = 1; i < sorted.size(); i++) {
            Entry prev = sorted.get(i - 1);
            Entry cur = sorted.get(i);
            if (cur.begin() < prev.end()) {
                throw bad(path, "tensors '" + prev.param().name() + "' and '" + cur.param().name()
                        + "' overlap in the data section");
            }
        }
        List<Entry> inOrder = new ArrayList<>();
        for (TensorInfo p : params) {
            inOrder.add(found.get(p.name()));
        }
        return inOrder;
    }

    /** A JSON array of non-negative integers ({@code length} of them unless it is -1). */
    private static long[] longs(Path path, String tensor, String key, Object v, int length) throws IOException {
        if (!(v instanceof List<?> list) || (length >= 0 && list.size() != length)) {
            throw bad(path, "tensor '" + tensor + "': \"" + key + "\" must be an array of "
                    + (length >= 0 ? length + " " : "") + "non-negative integers");
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Long x) || x < 0) {
                throw bad(path, "tensor '" + tensor + "': \"" + key + "\" must hold non-negative integers, found "
                        + list.get(i));
            }
            out[i] = x;
        }
        return out;
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position, Path path) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw bad(path, "truncated: unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }

    private static IOException bad(Path path, String what) {
        return new IOException(path + ": " + what);
    }
}
