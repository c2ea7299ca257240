package dev.nnc.runtime;

/**
 * A small, seeded pseudo-random generator whose output is the same on every platform and JDK:
 * xoshiro256** (Blackman and Vigna, 2018) seeded through SplitMix64, with Gaussian values from the
 * Marsaglia polar method computed with {@link StrictMath}. Used for parameter initialisation and
 * data shuffling; not for cryptography, and not thread-safe (one instance per thread).
 *
 * <p>{@link #uniform(long, long, long)} is the stateless, counter-based companion: a hash of
 * (seed, stream, index), so that a dropout mask element depends only on its position and step and
 * not on which thread computed it, or in which order.
 */
public final class Rng {

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private static final double DOUBLE_UNIT = 0x1.0p-53;

    private long s0;
    private long s1;
    private long s2;
    private long s3;
    private double spareGaussian;
    private boolean hasSpare;

    /** A generator whose whole sequence is determined by {@code seed}. */
    public Rng(long seed) {
        long x = seed;
        s0 = mix(x += GOLDEN);
        s1 = mix(x += GOLDEN);
        s2 = mix(x += GOLDEN);
        s3 = mix(x + GOLDEN);
        if ((s0 | s1 | s2 | s3) == 0) {
            s0 = GOLDEN; // the all-zero state is the one state xoshiro cannot leave
        }
    }

    /** The next 64 uniformly distributed bits. */
    public long nextLong() {
        long result = Long.rotateLeft(s1 * 5, 7) * 9;
        long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /** A uniform double in {@code [0, 1)}, with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * DOUBLE_UNIT;
    }

    /**
     * A uniform int in {@code [0, bound)}, without modulo bias (Lemire's multiply-and-reject).
     *
     * @throws IllegalArgumentException when {@code bound <= 0}
     */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive, got " + bound);
        }
        long product = (nextLong() >>> 32) * bound;
        long low = product & 0xFFFF_FFFFL;
        if (low < bound) {
            long threshold = (0x1_0000_0000L - bound) % bound;
            while (low < threshold) {
                product = (nextLong() >>> 32) * bound;
                low = product & 0xFFFF_FFFFL;
            }
        }
        return (int) (product >>> 32);
    }

    /** A standard normal value (mean 0, standard deviation 1). */
    public double nextGaussian() {
        if (hasSpare) {
            hasSpare = false;
            return spareGaussian;
        }
        double u;
        double v;
        double s;
        do {
            u = 2 * nextDouble() - 1;
            v = 2 * nextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double scale = StrictMath.sqrt(-2 * StrictMath.log(s) / s);
        spareGaussian = v * scale;
        hasSpare = true;
        return u * scale;
    }

    /**
     * A uniform double in {@code [0, 1)} that depends only on its arguments: a hash of the seed, a
     * stream (e.g. the training step) and an index (e.g. the element). Any thread may compute any
     * element, in any order, and get the same value.
     */
    public static double uniform(long seed, long stream, long index) {
        return bits(streamKey(seed, stream), index) * DOUBLE_UNIT;
    }

    /**
     * The part of {@link #uniform} that depends on seed and stream only: a kernel computes it once
     * and then {@link #bits} per element.
     */
    public static long streamKey(long seed, long stream) {
        return mix(mix(seed ^ GOLDEN) ^ (stream * 0xD1B54A32D192ED03L + GOLDEN));
    }

    /**
     * The 53 random bits behind {@code uniform(seed, stream, index)}, as an integer in
     * {@code [0, 2^53)}, for {@code key = streamKey(seed, stream)}: {@code uniform(...) < p} exactly
     * when {@code bits(key, index) < threshold(p)}.
     */
    public static long bits(long key, long index) {
        return mix(key ^ (index * 0xAEF17502108EF2D9L + 0x632BE59BD9B4E019L)) >>> 11;
    }

    /** The integer {@code t} with {@code bits < t} exactly when {@code bits · 2^-53 < p}, for p in [0, 1]. */
    public static long threshold(double p) {
        return (long) Math.ceil(p * 0x1.0p53);
    }

    /**
     * The 32-bit key of a dropout mask's stream: {@link #streamKey} folded to an int. A kernel
     * computes it once, then {@link #dropBits} per element.
     */
    public static int dropKey(long seed, long stream) {
        long k = streamKey(seed, stream);
        return (int) (k ^ (k >>> 32));
    }

    /** {@link #dropBits}' constants (also {@code VectorLanes}'): an odd multiplier, then MurmurHash3's. */
    static final int DROP_SPREAD = 0x9E3779B9;
    static final int DROP_MIX1 = 0x85EBCA6B;
    static final int DROP_MIX2 = 0xC2B2AE35;

    /**
     * 31 random bits, as an int in {@code [0, 2^31)}, for element {@code index} of the mask whose
     * stream key is {@code key} ({@link #dropKey}): the element is dropped exactly when
     * {@code dropBits(key, index) < dropThreshold(rate)}. A 32-bit hash (an odd-constant multiply of
     * the index, then MurmurHash3's finaliser) in int arithmetic only: a 64-bit multiply per element
     * cost ~8 ns in a scalar loop, this ~1.3 ns, and {@code VectorLanes} computes the same bits a
     * vector of ints at a time.
     */
    public static int dropBits(int key, int index) {
        int h = key ^ (index * DROP_SPREAD);
        h ^= h >>> 16;
        h *= DROP_MIX1;
        h ^= h >>> 13;
        h *= DROP_MIX2;
        h ^= h >>> 16;
        return h >>> 1;
    }

    /**
     * 1 when element {@code index} of the mask is kept, 0 when dropped ({@code dropBits(key, index) <
     * threshold}), computed without a branch ({@code 1 - ((bits - threshold) >>> 31)}), as
     * {@code VectorLanes.dropKeepFloat} computes it lane by lane. Generated kernels multiply it by {@code 1 / (1 - rate)}.
     */
    public static int dropKeep(int key, int index, int threshold) {
        return 1 - ((dropBits(key, index) - threshold) >>> 31);
    }

    /** The int {@code t} with {@code dropBits < t} for a fraction {@code rate} of all values: {@code ceil(rate · 2^31)}. */
    public static int dropThreshold(double rate) {
        if (!(rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException("rate must be in [0, 1], got " + rate);
        }
        return (int) Math.min(Integer.MAX_VALUE, (long) Math.ceil(rate * 0x1.0p31));
    }

    /** SplitMix64's finaliser: a bijective 64-bit mix with good avalanche. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
