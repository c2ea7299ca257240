package dev.nnc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class InitTest {

    private static final int N = 100_000;
    private static final int OFF = 3;

    /** Mean and variance of dst[OFF, OFF+N); checks the guard cells stayed untouched. */
    private static double[] stats(double[] v) {
        assertEquals(-7, v[OFF - 1]);
        assertEquals(-7, v[OFF + N]);
        double sum = 0;
        double sq = 0;
        for (int i = OFF; i < OFF + N; i++) {
            sum += v[i];
            sq += v[i] * v[i];
        }
        double mean = sum / N;
        return new double[] {mean, sq / N - mean * mean};
    }

    private static double[] guarded() {
        double[] v = new double[N + 2 * OFF];
        java.util.Arrays.fill(v, -7);
        return v;
    }

    private static double[] widen(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    @Test
    void constants() {
        float[] f = new float[6];
        Init.ones(f, 1, 3);
        assertArrayEquals(new float[] {0, 1, 1, 1, 0, 0}, f);
        Init.constant(f, 2, 4, 0.5);
        assertArrayEquals(new float[] {0, 1, 0.5f, 0.5f, 0.5f, 0.5f}, f);
        Init.zeros(f, 0, 6);
        assertArrayEquals(new float[6], f);
        double[] d = new double[3];
        Init.constant(d, 0, 3, 2.5);
        assertArrayEquals(new double[] {2.5, 2.5, 2.5}, d);
        Init.ones(d, 1, 1);
        Init.zeros(d, 2, 1);
        assertArrayEquals(new double[] {2.5, 1, 0}, d);
    }

    @Test
    void uniformAndNormal() {
        double[] v = guarded();
        Init.uniform(new Rng(1), v, OFF, N, -2, 4);
        double[] s = stats(v);
        assertEquals(1, s[0], 0.03);
        assertEquals(36.0 / 12, s[1], 0.05);
        for (int i = OFF; i < OFF + N; i++) {
            assertTrue(v[i] >= -2 && v[i] < 4);
        }
        v = guarded();
        Init.normal(new Rng(2), v, OFF, N, 0.1);
        s = stats(v);
        assertEquals(0, s[0], 0.002);
        assertEquals(0.01, s[1], 0.0003);
    }

    @Test
    void xavierAndHe() {
        int fanIn = 300;
        int fanOut = 100;
        double[] v = guarded();
        Init.xavierUniform(new Rng(3), v, OFF, N, fanIn, fanOut);
        double limit = Math.sqrt(6.0 / 400);
        double[] s = stats(v);
        assertEquals(0, s[0], 0.002);
        assertEquals(limit * limit / 3, s[1], 0.0003); // = 2 / (fanIn + fanOut)
        for (int i = OFF; i < OFF + N; i++) {
            assertTrue(Math.abs(v[i]) <= limit);
        }

        v = guarded();
        Init.xavierNormal(new Rng(4), v, OFF, N, fanIn, fanOut);
        s = stats(v);
        assertEquals(0, s[0], 0.002);
        assertEquals(2.0 / 400, s[1], 0.0001);

        v = guarded();
        Init.heNormal(new Rng(5), v, OFF, N, fanIn, fanOut);
        s = stats(v);
        assertEquals(0, s[0], 0.002);
        assertEquals(2.0 / fanIn, s[1], 0.00015);

        v = guarded();
        Init.heUniform(new Rng(6), v, OFF, N, fanIn, fanOut);
        s = stats(v);
        assertEquals(0, s[0], 0.002);
        assertEquals(2.0 / fanIn, s[1], 0.00015); // (sqrt(6 / fanIn))^2 / 3
        for (int i = OFF; i < OFF + N; i++) {
            assertTrue(Math.abs(v[i]) <= Math.sqrt(6.0 / fanIn));
        }
    }

    @Test
    void floatAndDoubleDrawTheSameValues() {
        float[] f = new float[1000];
        double[] d = new double[1000];
        Init.heNormal(new Rng(9), f, 0, 1000, 50, 20);
        Init.heNormal(new Rng(9), d, 0, 1000, 50, 20);
        for (int i = 0; i < 1000; i++) {
            assertEquals((float) d[i], f[i]);
        }
        Init.xavierUniform(new Rng(9), f, 0, 1000, 50, 20);
        Init.xavierUniform(new Rng(9), d, 0, 1000, 50, 20);
        assertArrayEquals(widen(f), toFloatThenDouble(d));
    }

    private static double[] toFloatThenDouble(double[] d) {
        double[] out = new double[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = (float) d[i];
        }
        return out;
    }

    @Test
    void sameSeedSameWeights() {
        float[] a = new float[500];
        float[] b = new float[500];
        Init.xavierNormal(new Rng(77), a, 0, 500, 10, 10);
        Init.xavierNormal(new Rng(77), b, 0, 500, 10, 10);
        assertArrayEquals(a, b);
        Init.xavierNormal(new Rng(78), b, 0, 500, 10, 10);
        assertTrue(a[0] != b[0] || a[1] != b[1]);
    }

    @Test
    void rejectsBadArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Init.zeros(new float[4], 2, 3));
        assertTrue(e.getMessage().contains("3 values from offset 2 do not fit an array of 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Init.heNormal(new Rng(1), new double[4], 0, 4, 0, 3));
        assertTrue(e.getMessage().contains("he_normal") && e.getMessage().contains("fanIn=0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Init.uniform(new Rng(1), new float[4], 0, 4, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> Init.normal(new Rng(1), new float[4], 0, 4, -1));
    }
}
