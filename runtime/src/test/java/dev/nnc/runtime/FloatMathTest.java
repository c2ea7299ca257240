package dev.nnc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * {@link FloatMath} against {@code java.lang.Math} in double precision rounded to float, over a
 * sweep of the whole float range (every 251st bit pattern, both signs, subnormals included), and
 * at its special values and case boundaries.
 */
class FloatMathTest {

    /** Units in the last place between two floats of the same sign (their bit patterns' distance). */
    static long ulps(float got, float want) {
        if (Float.isNaN(want)) return Float.isNaN(got) ? 0 : Long.MAX_VALUE;
        if (got == want) return 0; // also +0 against -0
        if (Math.signum(got) != Math.signum(want) && got != 0 && want != 0) return Long.MAX_VALUE;
        return Math.abs((long) Float.floatToIntBits(Math.abs(got)) - Float.floatToIntBits(Math.abs(want)));
    }

    /** The largest error over the sweep, and where. */
    private static String worst(java.util.function.IntFunction<Float> f, DoubleUnaryOperator reference, long limit) {
        long worst = -1;
        float at = 0;
        long checked = 0;
        for (long bits = Integer.MIN_VALUE; bits <= Integer.MAX_VALUE; bits += 251) {
            float x = Float.intBitsToFloat((int) bits);
            if (Float.isNaN(x)) continue;
            float want = (float) reference.applyAsDouble(x);
            long e = ulps(f.apply((int) bits), want);
            if (e > worst) {
                worst = e;
                at = x;
            }
            checked++;
        }
        String where = worst + " ulp at " + at + " (" + Float.floatToIntBits(at) + "), " + checked + " values";
        assertTrue(worst <= limit, where);
        return where;
    }

    @Test
    void expIsWithinTwoUlpOverTheFloatRange() {
        System.out.println("FloatMath.exp: worst " + worst(b -> FloatMath.exp(Float.intBitsToFloat(b)), Math::exp, 2));
    }

    @Test
    void tanhIsWithinTwoUlpOverTheFloatRange() {
        System.out.println("FloatMath.tanh: worst " + worst(b -> FloatMath.tanh(Float.intBitsToFloat(b)), Math::tanh, 2));
    }

    /**
     * Against the true value (in double precision, rounded to float) where it is a normal float; below
     * x ≈ -87.3 it is subnormal, and there both this and the formula it replaces,
     * {@code 1 / (1 + (float) Math.exp(-x))}, give 0 once e^-x overflows the float range.
     */
    @Test
    void sigmoidIsWithinThreeUlpOverTheFloatRange() {
        System.out.println("FloatMath.sigmoid: worst " + worst(b -> FloatMath.sigmoid(Float.intBitsToFloat(b)), x -> {
            double s = 1 / (1 + Math.exp(-x));
            if (s >= Float.MIN_NORMAL) return s;
            float e = (float) Math.exp(-x);
            return 1f / (1f + e);
        }, 3));
    }

    @Test
    void specialValues() {
        assertEquals(1f, FloatMath.exp(0f));
        assertEquals(1f, FloatMath.exp(-0f));
        assertEquals(0f, FloatMath.exp(Float.NEGATIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, FloatMath.exp(Float.POSITIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, FloatMath.exp(88.73f), "past the largest float");
        assertEquals(0f, FloatMath.exp(-104f), "below half the smallest subnormal");
        assertEquals(Float.MIN_VALUE, FloatMath.exp(-103.27893f), "the smallest subnormal");
        assertTrue(Float.isNaN(FloatMath.exp(Float.NaN)));
        assertEquals((float) Math.E, FloatMath.exp(1f), Math.ulp((float) Math.E));

        assertEquals(Float.floatToIntBits(0f), Float.floatToIntBits(FloatMath.tanh(0f)));
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(FloatMath.tanh(-0f)));
        assertEquals(1f, FloatMath.tanh(Float.POSITIVE_INFINITY));
        assertEquals(-1f, FloatMath.tanh(Float.NEGATIVE_INFINITY));
        assertEquals(1f, FloatMath.tanh(50f));
        assertEquals(-1f, FloatMath.tanh(-50f));
        assertEquals(Float.MIN_VALUE, FloatMath.tanh(Float.MIN_VALUE));
        assertTrue(Float.isNaN(FloatMath.tanh(Float.NaN)));

        assertEquals(0.5f, FloatMath.sigmoid(0f));
        assertEquals(1f, FloatMath.sigmoid(Float.POSITIVE_INFINITY));
        assertEquals(0f, FloatMath.sigmoid(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(FloatMath.sigmoid(Float.NaN)));
    }

    /** Every float near the case boundaries of tanh and the clamps of exp. */
    @Test
    void caseBoundaries() {
        // 0x1.1b668p-1 and 0x1.1c2ecap-1: tanh's 2-ulp arguments (exp's error through 1 - 2/(e+1))
        for (float edge : new float[] {FloatMath.TANH_TINY, FloatMath.TANH_SMALL, -FloatMath.TANH_TINY,
                -FloatMath.TANH_SMALL, 0x1.1b668p-1f, -0x1.1c2ecap-1f, 88.72283f, -87.33655f, -103.97208f,
                FloatMath.EXP_MAX, FloatMath.EXP_MIN}) {
            int b = Float.floatToIntBits(edge);
            for (int d = -300; d <= 300; d++) {
                float x = Float.intBitsToFloat(b + d);
                assertTrue(ulps(FloatMath.tanh(x), (float) Math.tanh(x)) <= 2, "tanh " + x);
                assertTrue(ulps(FloatMath.exp(x), (float) Math.exp(x)) <= 2, "exp " + x);
            }
        }
    }

    @Test
    void ln2InTwoPartsIsLn2() {
        assertEquals(Math.log(2), (double) FloatMath.LN2_HI + FloatMath.LN2_LO, Math.ulp(FloatMath.LN2_LO) / 2,
                "the low part is ln 2 - LN2_HI rounded to float");
        assertEquals(0, Float.floatToIntBits(FloatMath.LN2_HI) & 0xff, "8 trailing zero bits: n · LN2_HI is exact");
    }
}
