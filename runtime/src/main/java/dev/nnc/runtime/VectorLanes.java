package dev.nnc.runtime;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * What the generated {@code Simd} loops share (see {@link Lanes}): the species they run on and a
 * dropout mask drawn a vector at a time. Loaded only when {@link Lanes#ON}.
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
}
