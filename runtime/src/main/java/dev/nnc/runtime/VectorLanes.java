package dev.nnc.runtime;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * What the generated {@code Simd} loops share (see {@link Lanes}): the species they run on, a
 * dropout mask drawn a vector at a time, and {@link FloatMath}'s exp, sigmoid and tanh a vector at
 * a time (the same steps in the same order: the same bits in every lane). Loaded only when
 * {@link Lanes#ON}.
 */
public final class VectorLanes {
    private VectorLanes() {
    }

    /** The species of single-precision loops: {@code FloatVector.SPECIES_PREFERRED}. */
    public static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** The species of double-precision loops: {@code DoubleVector.SPECIES_PREFERRED}. */
    public static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Ints with as many lanes as {@link #F}. */
    private static final VectorSpecies<Integer> IF = VectorSpecies.of(int.class, F.vectorShape());
    /**
     * Ints with as many lanes as {@link #D} (half its bits); null where the machine has no such
     * shape (64-bit vectors: {@code -XX:MaxVectorSize=8}, or a vector size that is not a power of
     * two), and then {@link #usable} is false and the generated kernels keep their scalar loops.
     */
    private static final VectorSpecies<Integer> ID = halfBitInts(D);
    /** 0, 1, 2, … in the lanes of {@link #IF} and of {@link #ID}. */
    private static final IntVector IOTA_F = IntVector.zero(IF).addIndex(1);
    private static final IntVector IOTA_D = ID == null ? null : IntVector.zero(ID).addIndex(1);

    private static VectorSpecies<Integer> halfBitInts(VectorSpecies<Double> d) {
        try {
            VectorSpecies<Integer> ints = VectorSpecies.of(int.class, VectorShape.forBitSize(d.vectorBitSize() / 2));
            return ints.length() == d.length() ? ints : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Whether the lanes can run here: vectors of at least two lanes of either type and an int shape
     * for the double masks. {@link Lanes#ON} requires it.
     */
    static boolean usable() {
        return ID != null && F.length() >= 2 && D.length() >= 2;
    }

    /**
     * {@code Rng.dropKeep(key, index + lane, threshold)} in each lane of {@link #F}: 1 where the
     * element is kept, 0 where dropped; the same bits as the scalar form, lane for lane.
     */
    public static FloatVector dropKeepFloat(int key, int index, int threshold) {
        return (FloatVector) keep(IOTA_F.add(index), key, threshold).convertShape(VectorOperators.I2F, F, 0);
    }

    /** {@link #dropKeepFloat} in the lanes of {@link #D}. */
    public static DoubleVector dropKeepDouble(int key, int index, int threshold) {
        return (DoubleVector) keep(IOTA_D.add(index), key, threshold).convertShape(VectorOperators.I2D, D, 0);
    }

    /** {@code 1 - ((Rng.dropBits(key, index) - threshold) >>> 31)} in every lane. */
    private static IntVector keep(IntVector index, int key, int threshold) {
        IntVector h = index.mul(Rng.DROP_SPREAD).lanewise(VectorOperators.XOR, key);
        h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16)).mul(Rng.DROP_MIX1);
        h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 13)).mul(Rng.DROP_MIX2);
        h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16)).lanewise(VectorOperators.LSHR, 1);
        return h.sub(threshold).lanewise(VectorOperators.LSHR, 31).neg().add(1);
    }

    /** {@link FloatMath#exp} in every lane, step for step. */
    public static FloatVector exp(FloatVector x) {
        FloatVector y = x.max(FloatMath.EXP_MIN).min(FloatMath.EXP_MAX);
        FloatVector k = y.mul(FloatMath.LOG2E).add(FloatMath.SHIFT);
        IntVector n = k.reinterpretAsInts().sub(FloatMath.SHIFT_BITS);
        FloatVector kf = k.sub(FloatMath.SHIFT);
        FloatVector r = y.sub(kf.mul(FloatMath.LN2_HI)).sub(kf.mul(FloatMath.LN2_LO));
        FloatVector p = r.mul(FloatMath.E7).add(FloatMath.E6).mul(r).add(FloatMath.E5).mul(r).add(FloatMath.E4).mul(r)
                .add(FloatMath.E3).mul(r).add(FloatMath.E2).mul(r).add(1f).mul(r).add(1f);
        IntVector half = n.lanewise(VectorOperators.ASHR, 1);
        FloatVector s1 = half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n.sub(half).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2);
    }

    /** {@link FloatMath#sigmoid} in every lane. */
    public static FloatVector sigmoid(FloatVector x) {
        return FloatVector.broadcast(F, 1f).div(exp(x.neg()).add(1f));
    }

    /** {@link FloatMath#tanh} in every lane: all three of its cases computed, each lane taking its own. */
    public static FloatVector tanh(FloatVector x) {
        FloatVector a = x.abs();
        FloatVector z = x.mul(x);
        FloatVector q = z.mul(FloatMath.T15).add(FloatMath.T13).mul(z).add(FloatMath.T11).mul(z).add(FloatMath.T9)
                .mul(z).add(FloatMath.T7).mul(z).add(FloatMath.T5).mul(z).add(FloatMath.T3);
        FloatVector small = x.add(x.mul(z).mul(q));
        FloatVector t = FloatVector.broadcast(F, 1f).sub(FloatVector.broadcast(F, 2f).div(exp(a.add(a)).add(1f)));
        // Math.copySign(t, x): t's magnitude bits, x's sign bit
        FloatVector large = t.reinterpretAsInts().and(0x7fffffff)
                .or(x.reinterpretAsInts().and(0x80000000)).reinterpretAsFloats();
        return large.blend(small, a.compare(VectorOperators.LT, FloatMath.TANH_SMALL))
                .blend(x, a.compare(VectorOperators.LT, FloatMath.TANH_TINY));
    }
}
