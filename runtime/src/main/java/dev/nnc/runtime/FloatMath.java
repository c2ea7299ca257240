package dev.nnc.runtime;

/**
 * {@code exp}, {@code sigmoid} and {@code tanh} in single precision, built from IEEE-754 additions,
 * multiplications, divisions and bit moves only, each in one fixed order. {@link VectorLanes}
 * runs the very same steps a vector at a time, and since every one of those steps is correctly
 * rounded (or exact) in a lane as in a scalar, a lane gives these bits exactly: that is what lets
 * a generated loop with {@code exp}, {@code sigmoid} or {@code tanh} run in lanes and still give
 * the same result wherever the vector part of the loop stops (design-notes.md, "Elementwise loops
 * carry a Vector API twin"). {@code Math.exp} has no such twin: the Vector API's {@code EXP} is a
 * different approximation.
 *
 * <p>Accuracy against the double-precision results rounded to float, over every 251st float
 * (FloatMathTest, 17 million values, subnormals included): {@code exp} and {@code tanh} within 1 unit
 * in the last place ({@code tanh} reaches 2 at a few arguments just above 0.55, e.g.
 * 0x1.1b668p-1, which the test checks), {@code sigmoid} within 2 where its result is a normal float (below x ≈ -87.3
 * it gives 0 once e^-x overflows, as the float formula it replaces did); {@code exp} overflows to
 * infinity and underflows through the subnormals to zero where the float result does. Special values:
 * NaN gives NaN; {@code exp(-∞) = 0}, {@code exp(∞) = ∞}; {@code tanh(±0) = ±0}, {@code tanh(±∞) = ±1};
 * {@code sigmoid(-∞) = 0}, {@code sigmoid(∞) = 1}.
 *
 * <p>The double-precision kernels keep {@code Math.exp} and {@code Math.tanh}: they are the
 * reference the float ones are checked against, and they run no lanes for these functions.
 */
public final class FloatMath {
    private FloatMath() {
    }

    /** exp's argument is clamped to [EXP_MIN, EXP_MAX]: below, the result rounds to 0; above, to ∞. */
    static final float EXP_MIN = -104f;
    static final float EXP_MAX = 89f;
    static final float LOG2E = 0x1.715476p0f;
    /** 1.5 · 2^23: adding it rounds a float of magnitude below 2^22 to an integer, in its low bits. */
    static final float SHIFT = 0x1.8p23f;
    static final int SHIFT_BITS = Float.floatToRawIntBits(SHIFT);
    /** ln 2 in two parts: the high one has 8 trailing zero bits, so n · LN2_HI is exact for |n| ≤ 255. */
    static final float LN2_HI = 0x1.62e400p-1f;
    static final float LN2_LO = 0x1.7f7d1cp-20f;
    /** e^r = 1 + r + r²/2 + … + r^7/5040 on |r| ≤ ln2 / 2 (truncation below 7.5e-9 relative). */
    static final float E2 = 1f / 2;
    static final float E3 = 1f / 6;
    static final float E4 = 1f / 24;
    static final float E5 = 1f / 120;
    static final float E6 = 1f / 720;
    static final float E7 = 1f / 5040;
    /** Below this magnitude tanh(x) rounds to x (x³/3 is under half a unit in the last place of x). */
    static final float TANH_TINY = 0x1p-12f;
    /**
     * Below this magnitude tanh runs its odd Taylor polynomial (the first term left out, x^17 ·
     * 6404582/10854718875, is under 0.4 units in the last place there); above it
     * {@code 1 - 2 / (e^{2|x|} + 1)}, whose subtraction cancels at most one bit once tanh ≥ 0.5
     * (exp's own error then gives up to 2 units in the last place just above 0.55).
     */
    static final float TANH_SMALL = 0.55f;
    static final float T3 = -1f / 3;
    static final float T5 = 2f / 15;
    static final float T7 = -17f / 315;
    static final float T9 = 62f / 2835;
    static final float T11 = -1382f / 155925;
    static final float T13 = 21844f / 6081075;
    static final float T15 = -929569f / 638512875;

    /**
     * e^x: x = n·ln2 + r with n the nearest integer to x·log2(e) and |r| ≤ ln2/2 (Cody and Waite's
     * two-part ln2), e^r by its Taylor polynomial, then times 2^n as two powers of two (each a
     * normal float, so a subnormal result is rounded once, by the last multiplication).
     */
    public static float exp(float x) {
        float y = Math.min(Math.max(x, EXP_MIN), EXP_MAX);
        float k = y * LOG2E + SHIFT;
        int n = Float.floatToRawIntBits(k) - SHIFT_BITS;
        float kf = k - SHIFT;
        float r = (y - kf * LN2_HI) - kf * LN2_LO;
        float p = ((((((E7 * r + E6) * r + E5) * r + E4) * r + E3) * r + E2) * r + 1) * r + 1;
        int half = n >> 1;
        return p * Float.intBitsToFloat((half + 127) << 23) * Float.intBitsToFloat((n - half + 127) << 23);
    }

    /** 1 / (1 + e^-x). */
    public static float sigmoid(float x) {
        return 1 / (1 + exp(-x));
    }

    /** tanh(x): x itself when tiny, an odd polynomial when small, else from e^{2|x|} with x's sign. */
    public static float tanh(float x) {
        float a = Math.abs(x);
        if (a < TANH_TINY) {
            return x;
        }
        if (a < TANH_SMALL) {
            float z = x * x;
            return x + x * z * tanhPoly(z);
        }
        return Math.copySign(1 - 2 / (exp(a + a) + 1), x);
    }

    /** (tanh(x) - x) / x³ as a polynomial in z = x². */
    private static float tanhPoly(float z) {
        return (((((T15 * z + T13) * z + T11) * z + T9) * z + T7) * z + T5) * z + T3;
    }
}
