package dev.nnc.runtime;

/**
 * Copies one feed of a {@link Batch} into a model's own buffer, converting the element type. Called
 * by generated code at the start of every step, for every feed:
 * <pre>{@code Feeds.toFloat(batch, 0, "x", arena, xOff, n * 784);}</pre>
 *
 * <p>Conversions: into float or double from {@code float[]}, {@code double[]} or {@code int[]}
 * (ints are widened, doubles narrowed); into int only from {@code int[]} (class labels are never
 * silently truncated from floating point). Nothing is allocated.
 *
 * <p>Errors are {@link IllegalArgumentException}s that name the feed and say what is wrong, e.g.
 * {@code feed 'x': the array holds 1000 elements from offset 0, but a batch of 128 needs 100352}.
 */
public final class Feeds {

    private Feeds() {
    }

    /**
     * Copies {@code count} elements of feed {@code slot} (named {@code name} in messages) into
     * {@code dst[dstOff...]} as floats.
     *
     * @throws IllegalArgumentException when the feed is missing, too short, or of an unusable type
     */
    public static void toFloat(Batch b, int slot, String name, float[] dst, int dstOff, int count) {
        Object src = source(b, slot, name, count, dst.length, dstOff);
        int off = b.offset(slot);
        switch (src) {
            case float[] f -> System.arraycopy(f, off, dst, dstOff, count);
            case double[] d -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = (float) d[off + i];
                }
            }
            case int[] n -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = n[off + i];
                }
            }
            default -> throw unsupported(name, src);
        }
    }

    /**
     * Copies {@code count} elements of feed {@code slot} (named {@code name} in messages) into
     * {@code dst[dstOff...]} as doubles.
     *
     * @throws IllegalArgumentException when the feed is missing, too short, or of an unusable type
     */
    public static void toDouble(Batch b, int slot, String name, double[] dst, int dstOff, int count) {
        Object src = source(b, slot, name, count, dst.length, dstOff);
        int off = b.offset(slot);
        switch (src) {
            case double[] d -> System.arraycopy(d, off, dst, dstOff, count);
            case float[] f -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = f[off + i];
                }
            }
            case int[] n -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = n[off + i];
                }
            }
            default -> throw unsupported(name, src);
        }
    }

    /**
     * Copies {@code count} elements of feed {@code slot} (named {@code name} in messages) into
     * {@code dst[dstOff...]}; the feed must be an {@code int[]}.
     *
     * @throws IllegalArgumentException when the feed is missing, too short, or not an {@code int[]}
     */
    public static void toInt(Batch b, int slot, String name, int[] dst, int dstOff, int count) {
        Object src = source(b, slot, name, count, dst.length, dstOff);
        if (!(src instanceof int[] n)) {
            throw new IllegalArgumentException("feed '" + name + "' is i32 and needs an int[], got "
                    + src.getClass().getSimpleName() + " (floating-point values are not converted to integers;"
                    + " pass the class indices as int[])");
        }
        System.arraycopy(n, b.offset(slot), dst, dstOff, count);
    }

    /** The feed's array, after checking that it holds {@code count} elements and {@code dst} has room. */
    private static Object source(Batch b, int slot, String name, int count, int dstLength, int dstOff) {
        if (slot < 0 || slot >= b.feedCount()) {
            throw new IllegalArgumentException("feed '" + name + "': the batch has " + b.feedCount()
                    + " slots, there is no slot " + slot);
        }
        Object src;
        try {
            src = b.array(slot);
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException("feed '" + name + "' (slot " + slot + ") is not set in the batch");
        }
        int off = b.offset(slot);
        int length = switch (src) {
            case float[] f -> f.length;
            case double[] d -> d.length;
            case int[] n -> n.length;
            default -> throw unsupported(name, src);
        };
        if (count < 0) {
            throw new IllegalArgumentException("feed '" + name + "': negative element count " + count);
        }
        if (off < 0 || off > length) {
            throw new IllegalArgumentException("feed '" + name + "': offset " + off + " is outside the array of "
                    + length + " elements");
        }
        if (count > length - off) {
            throw new IllegalArgumentException("feed '" + name + "': the array holds " + (length - off)
                    + " elements from offset " + off + ", but a batch of " + b.size() + " needs " + count);
        }
        if (dstOff < 0 || count > dstLength - dstOff) {
            throw new IllegalArgumentException("feed '" + name + "': a batch of " + b.size() + " needs " + count
                    + " elements, but the model's buffer has room for " + Math.max(0, dstLength - dstOff)
                    + " (is the batch larger than the model's maximum batch size?)");
        }
        return src;
    }

    private static IllegalArgumentException unsupported(String name, Object src) {
        return new IllegalArgumentException("feed '" + name + "': expected float[], double[] or int[], got "
                + src.getClass().getSimpleName());
    }
}
