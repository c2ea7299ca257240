package dev.nnc.runtime;

import java.util.function.DoubleSupplier;

/**
 * Parameter initialisers, as called by generated constructors: each writes {@code count} values
 * into {@code dst} starting at {@code off} (a parameter's slice of the flat buffer), drawing from
 * the model's {@link Rng} in order, so a seed determines the initial weights.
 *
 * <p>Every initialiser produces its values as doubles through one code path and narrows them only
 * when it stores into a {@code float[]}: an f32 and an f64 model built with the same seed start from
 * the same weights, up to rounding.
 *
 * <p>{@code fanIn} and {@code fanOut} are the number of inputs and outputs of the layer the
 * parameter belongs to (for a dense weight {@code [in, out]}: {@code in} and {@code out}; for a
 * convolution kernel: channels × kernel area on either side).
 */
public final class Init {

    private Init() {
    }

    // ------------------------------------------------------------------ float[]

    /** Writes 0. */
    public static void zeros(float[] dst, int off, int count) {
        constant(dst, off, count, 0);
    }

    /** Writes 1. */
    public static void ones(float[] dst, int off, int count) {
        constant(dst, off, count, 1);
    }

    /** Writes {@code v}. */
    public static void constant(float[] dst, int off, int count, double v) {
        fill(dst, off, count, () -> v);
    }

    /** Uniform values in {@code [lo, hi)}. */
    public static void uniform(Rng rng, float[] dst, int off, int count, double lo, double hi) {
        fill(dst, off, count, uniformSource(rng, lo, hi));
    }

    /** Normal values with mean 0 and standard deviation {@code std}. */
    public static void normal(Rng rng, float[] dst, int off, int count, double std) {
        fill(dst, off, count, normalSource(rng, std));
    }

    /** Glorot and Bengio (2010): uniform in {@code ±sqrt(6 / (fanIn + fanOut))}. */
    public static void xavierUniform(Rng rng, float[] dst, int off, int count, int fanIn, int fanOut) {
        fill(dst, off, count, xavierUniformSource(rng, fanIn, fanOut));
    }

    /** Glorot and Bengio (2010): normal with standard deviation {@code sqrt(2 / (fanIn + fanOut))}. */
    public static void xavierNormal(Rng rng, float[] dst, int off, int count, int fanIn, int fanOut) {
        fill(dst, off, count, xavierNormalSource(rng, fanIn, fanOut));
    }

    /** He et al. (2015), for ReLU layers: normal with standard deviation {@code sqrt(2 / fanIn)}. */
    public static void heNormal(Rng rng, float[] dst, int off, int count, int fanIn, int fanOut) {
        fill(dst, off, count, heNormalSource(rng, fanIn, fanOut));
    }

    /** He et al. (2015), for ReLU layers: uniform in {@code ±sqrt(6 / fanIn)}. */
    public static void heUniform(Rng rng, float[] dst, int off, int count, int fanIn, int fanOut) {
        fill(dst, off, count, heUniformSource(rng, fanIn, fanOut));
    }

    // ------------------------------------------------------------------ double[]

    /** Writes 0. */
    public static void zeros(double[] dst, int off, int count) {
        constant(dst, off, count, 0);
    }

    /** Writes 1. */
    public static void ones(double[] dst, int off, int count) {
        constant(dst, off, count, 1);
    }

    /** Writes {@code v}. */
    public static void constant(double[] dst, int off, int count, double v) {
        fill(dst, off, count, () -> v);
    }

    /** Uniform values in {@code [lo, hi)}. */
    public static void uniform(Rng rng, double[] dst, int off, int count, double lo, double hi) {
        fill(dst, off, count, uniformSource(rng, lo, hi));
    }

    /** Normal values with mean 0 and standard deviation {@code std}. */
    public static void normal(Rng rng, double[] dst, int off, int count, double std) {
        fill(dst, off, count, normalSource(rng, std));
    }

    /** Glorot and Bengio (2010): uniform in {@code ±sqrt(6 / (fanIn + fanOut))}. */
    public static void xavierUniform(Rng rng, double[] dst, int off, int count, int fanIn, int fanOut) {
        fill(dst, off, count, xavierUniformSource(rng, fanIn, fanOut));
    }

    /** Glorot and Bengio (2010): normal with standard deviation {@code sqrt(2 / (fanIn + fanOut))}. */
    public static void xavierNormal(Rng rng, double[] dst, int off, int count, int fanIn, int fanOut) {
        fill(dst, off, count, xavierNormalSource(rng, fanIn, fanOut));
    }

    /** He et al. (2015), for ReLU layers: normal with standard deviation {@code sqrt(2 / fanIn)}. */
    public static void heNormal(Rng rng, double[] dst, int off, int count, int fanIn, int fanOut) {
        fill(dst, off, count, heNormalSource(rng, fanIn, fanOut));
    }

    /** He et al. (2015), for ReLU layers: uniform in {@code ±sqrt(6 / fanIn)}. */
    public static void heUniform(Rng rng, double[] dst, int off, int count, int fanIn, int fanOut) {
        fill(dst, off, count, heUniformSource(rng, fanIn, fanOut));
    }

    // ------------------------------------------------------------------ the one code path

    private static DoubleSupplier uniformSource(Rng rng, double lo, double hi) {
        if (!(lo <= hi) || Double.isInfinite(lo) || Double.isInfinite(hi)) {
            throw new IllegalArgumentException("uniform init needs finite lo <= hi, got [" + lo + ", " + hi + ")");
        }
        return () -> lo + (hi - lo) * rng.nextDouble();
    }

    private static DoubleSupplier normalSource(Rng rng, double std) {
        if (!(std >= 0) || Double.isInfinite(std)) {
            throw new IllegalArgumentException("normal init needs a finite std >= 0, got " + std);
        }
        return () -> std * rng.nextGaussian();
    }

    private static DoubleSupplier xavierUniformSource(Rng rng, int fanIn, int fanOut) {
        checkFans("xavier_uniform", fanIn, fanOut);
        double limit = Math.sqrt(6.0 / ((double) fanIn + fanOut));
        return uniformSource(rng, -limit, limit);
    }

    private static DoubleSupplier xavierNormalSource(Rng rng, int fanIn, int fanOut) {
        checkFans("xavier_normal", fanIn, fanOut);
        return normalSource(rng, Math.sqrt(2.0 / ((double) fanIn + fanOut)));
    }

    private static DoubleSupplier heNormalSource(Rng rng, int fanIn, int fanOut) {
        checkFans("he_normal", fanIn, fanOut);
        return normalSource(rng, Math.sqrt(2.0 / fanIn));
    }

    private static DoubleSupplier heUniformSource(Rng rng, int fanIn, int fanOut) {
        checkFans("he_uniform", fanIn, fanOut);
        double limit = Math.sqrt(6.0 / fanIn);
        return uniformSource(rng, -limit, limit);
    }

    private static void checkFans(String init, int fanIn, int fanOut) {
        if (fanIn <= 0 || fanOut <= 0) {
            throw new IllegalArgumentException(init + " init needs fanIn > 0 and fanOut > 0, got fanIn="
                    + fanIn + " fanOut=" + fanOut);
        }
    }

    private static void fill(float[] dst, int off, int count, DoubleSupplier values) {
        checkRange(dst.length, off, count);
        for (int i = off, end = off + count; i < end; i++) {
            dst[i] = (float) values.getAsDouble();
        }
    }

    private static void fill(double[] dst, int off, int count, DoubleSupplier values) {
        checkRange(dst.length, off, count);
        for (int i = off, end = off + count; i < end; i++) {
            dst[i] = values.getAsDouble();
        }
    }

    private static void checkRange(int length, int off, int count) {
        if (off < 0 || count < 0 || count > length - off) {
            throw new IllegalArgumentException("init: " + count + " values from offset " + off
                    + " do not fit an array of " + length);
        }
    }
}
