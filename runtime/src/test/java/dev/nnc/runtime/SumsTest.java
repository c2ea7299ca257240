package dev.nnc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SumsTest {

    /** Small integers add exactly in any order: the sum is known for every length, aligned or not. */
    @Test
    void sumsEveryElementOfTheRunOnce() {
        float[] f = new float[200];
        double[] d = new double[200];
        for (int i = 0; i < f.length; i++) {
            f[i] = i + 1;
            d[i] = i + 1;
        }
        for (int off : new int[] {0, 3}) {
            for (int len = 0; len <= 100; len++) {
                double want = (double) len * (2 * off + len + 1) / 2; // (off+1) + ... + (off+len)
                assertEquals(want, Sums.run(f, off, len), "float off " + off + " len " + len);
                assertEquals(want, Sums.run(d, off, len), "double off " + off + " len " + len);
            }
        }
    }

    /** The documented order: eight strided partial sums, combined pairwise, then the tail in the first. */
    @Test
    void addsInTheDocumentedOrder() {
        Random r = new Random(5);
        float[] a = new float[787];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian() * (1 << r.nextInt(20));
        float[] s = new float[8];
        int i = 0;
        for (; i + 8 <= a.length; i += 8) {
            for (int j = 0; j < 8; j++) s[j] += a[i + j];
        }
        for (; i < a.length; i++) s[0] += a[i];
        float want = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
        assertEquals(want, Sums.run(a, 0, a.length));
    }
}
