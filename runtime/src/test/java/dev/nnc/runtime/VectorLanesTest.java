package dev.nnc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The vector dropout mask against {@link Rng#dropKeep}, lane by lane (surefire adds the module). */
class VectorLanesTest {

    /** In a child JVM: what {@link Lanes#ON} says there. */
    public static void main(String[] args) {
        System.out.println("lanes=" + Lanes.ON);
    }

    private static String child(String... jvmArgs) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new java.util.ArrayList<>(List.of(java));
        cmd.addAll(List.of(jvmArgs));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), VectorLanesTest.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child JVM finished");
        assertEquals(0, p.exitValue(), out);
        return out.lines().filter(l -> l.startsWith("lanes=")).findFirst().orElse(out);
    }

    /** 64-bit vectors hold one double, and there is no 32-bit int shape for its masks: scalar loops. */
    @Test
    void lanesAreOffWithSixtyFourBitVectors() throws Exception {
        assertEquals("lanes=false", child("--add-modules", "jdk.incubator.vector", "-XX:MaxVectorSize=8"));
        assertEquals("lanes=true", child("--add-modules", "jdk.incubator.vector", "-XX:MaxVectorSize=16"));
        assertEquals("lanes=false", child());
    }

    @Test
    void lanesAreOnInTheTestJvm() {
        assertTrue(Lanes.ON, "the tests run with --add-modules jdk.incubator.vector");
    }

    @Test
    void floatMaskIsTheScalarMaskLaneByLane() {
        int kept = 0;
        int lanes = VectorLanes.F.length();
        for (int key : new int[] {0, 1, -7, Rng.dropKey(42, 3), Integer.MIN_VALUE}) {
            for (int threshold : new int[] {0, 1, Rng.dropThreshold(0.2), Rng.dropThreshold(0.5), Integer.MAX_VALUE}) {
                for (int index : new int[] {0, 5, 1000, (1 << 20) + 3, Integer.MAX_VALUE - lanes}) {
                    FloatVector v = VectorLanes.dropKeepFloat(key, index, threshold);
                    for (int lane = 0; lane < lanes; lane++) {
                        float expected = Rng.dropKeep(key, index + lane, threshold);
                        assertEquals(expected, v.lane(lane), "key " + key + " index " + (index + lane));
                        kept += (int) expected;
                    }
                }
            }
        }
        assertTrue(kept > 0 && kept < 5 * 5 * 5 * lanes, "both values occur");
    }

    @Test
    void doubleMaskIsTheScalarMaskLaneByLane() {
        int lanes = VectorLanes.D.length();
        int key = Rng.dropKey(7, 1);
        int threshold = Rng.dropThreshold(0.3);
        int dropped = 0;
        for (int index = 0; index < 4096; index += lanes) {
            DoubleVector v = VectorLanes.dropKeepDouble(key, index, threshold);
            for (int lane = 0; lane < lanes; lane++) {
                double expected = Rng.dropKeep(key, index + lane, threshold);
                assertEquals(expected, v.lane(lane), "index " + (index + lane));
                if (expected == 0) dropped++;
            }
        }
        // 30% of 4096 dropped, within a few standard deviations (sd ≈ 29)
        assertTrue(Math.abs(dropped - 0.3 * 4096) < 150, "dropped " + dropped);
    }

    /**
     * {@link VectorLanes#exp}, {@code sigmoid} and {@code tanh} against {@link FloatMath}, bit for bit
     * in every lane: special values, the case boundaries and a sweep of the float range (the sweep
     * three times over, so that the lanes also run as C2 compiles them).
     */
    @Test
    void floatMathLanesAreTheScalarBits() {
        int lanes = VectorLanes.F.length();
        float[] special = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE,
                -Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_NORMAL, FloatMath.TANH_TINY,
                -FloatMath.TANH_TINY, FloatMath.TANH_SMALL, -FloatMath.TANH_SMALL, 88.72283f, 88.72284f, -87.33655f,
                -103.97208f, -103.27893f, FloatMath.EXP_MAX, FloatMath.EXP_MIN, 1f, -1f, 0.5f, 20f, -20f};
        float[] xs = new float[special.length * 41 + lanes];
        int at = 0;
        for (float e : special) {
            for (int d = -20; d <= 20; d++) {
                xs[at++] = Float.isNaN(e) || Float.isInfinite(e) || e == 0 ? e : Float.intBitsToFloat(Float.floatToIntBits(e) + d);
            }
        }
        checkLanes(xs, (at + lanes - 1) / lanes * lanes); // the last vector's padding lanes are 0
        float[] sweep = new float[1 << 16];
        for (int round = 0; round < 3; round++) {
            long bits = Integer.MIN_VALUE + round;
            while (bits <= Integer.MAX_VALUE) {
                int n = 0;
                for (; n < sweep.length && bits <= Integer.MAX_VALUE; n++, bits += 4099) {
                    sweep[n] = Float.intBitsToFloat((int) bits);
                }
                checkLanes(sweep, n - n % lanes);
            }
        }
    }

    /** Lane = scalar for xs[0, count); NaN compared as NaN (its payload is not part of the claim). */
    private static void checkLanes(float[] xs, int count) {
        int lanes = VectorLanes.F.length();
        for (int i = 0; i + lanes <= count; i += lanes) {
            FloatVector x = FloatVector.fromArray(VectorLanes.F, xs, i);
            FloatVector e = VectorLanes.exp(x);
            FloatVector s = VectorLanes.sigmoid(x);
            FloatVector t = VectorLanes.tanh(x);
            for (int lane = 0; lane < lanes; lane++) {
                float v = xs[i + lane];
                if (Float.floatToIntBits(e.lane(lane)) != Float.floatToIntBits(FloatMath.exp(v))
                        || Float.floatToIntBits(s.lane(lane)) != Float.floatToIntBits(FloatMath.sigmoid(v))
                        || Float.floatToIntBits(t.lane(lane)) != Float.floatToIntBits(FloatMath.tanh(v))) {
                    throw new AssertionError("lanes differ from FloatMath at " + v + ": exp " + e.lane(lane) + " / "
                            + FloatMath.exp(v) + ", sigmoid " + s.lane(lane) + " / " + FloatMath.sigmoid(v) + ", tanh "
                            + t.lane(lane) + " / " + FloatMath.tanh(v));
                }
            }
        }
    }
}
