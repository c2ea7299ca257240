package dev.nnc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class FeedsTest {

    @Test
    void convertsIntoFloat() {
        float[] dst = new float[5];
        Batch b = new Batch(3).set(0, new float[] {9, 1, 2}, 1).set(1, new double[] {3.5, 4.5}).set(2, new int[] {7})
                .size(1);
        Feeds.toFloat(b, 0, "x", dst, 0, 2);
        Feeds.toFloat(b, 1, "d", dst, 2, 2);
        Feeds.toFloat(b, 2, "i", dst, 4, 1);
        assertArrayEquals(new float[] {1, 2, 3.5f, 4.5f, 7}, dst);
    }

    @Test
    void convertsIntoDouble() {
        double[] dst = new double[5];
        Batch b = new Batch(3).set(0, new float[] {1, 2}).set(1, new double[] {0, 3.25, 4.5}, 1).set(2, new int[] {7})
                .size(1);
        Feeds.toDouble(b, 0, "x", dst, 0, 2);
        Feeds.toDouble(b, 1, "d", dst, 2, 2);
        Feeds.toDouble(b, 2, "i", dst, 4, 1);
        assertArrayEquals(new double[] {1, 2, 3.25, 4.5, 7}, dst);
    }

    @Test
    void copiesInts() {
        int[] dst = new int[4];
        Feeds.toInt(new Batch(1).set(0, new int[] {5, 6, 7, 8, 9}, 2).size(3), 0, "y", dst, 1, 3);
        assertArrayEquals(new int[] {0, 7, 8, 9}, dst);
    }

    @Test
    void rejectsFloatIntoInt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Feeds.toInt(new Batch(2).set(1, new float[4]).size(4), 1, "y", new int[4], 0, 4));
        assertEquals("feed 'y' is i32 and needs an int[], got float[] (floating-point values are not converted to"
                + " integers; pass the class indices as int[])", e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Feeds.toInt(new Batch(1).set(0, new double[4]).size(4), 0, "y", new int[4], 0, 4));
    }

    @Test
    void reportsAShortArray() {
        Batch b = new Batch(1).set(0, new float[1000]).size(128);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Feeds.toFloat(b, 0, "x", new float[128 * 784], 0, 128 * 784));
        assertEquals("feed 'x': the array holds 1000 elements from offset 0, but a batch of 128 needs 100352",
                e.getMessage());
        Batch b2 = new Batch(1).set(0, new double[10], 4).size(2);
        e = assertThrows(IllegalArgumentException.class, () -> Feeds.toDouble(b2, 0, "x", new double[8], 0, 8));
        assertEquals("feed 'x': the array holds 6 elements from offset 4, but a batch of 2 needs 8", e.getMessage());
        Batch b3 = new Batch(1).set(0, new int[3], 5).size(1);
        e = assertThrows(IllegalArgumentException.class, () -> Feeds.toInt(b3, 0, "y", new int[1], 0, 1));
        assertEquals("feed 'y': offset 5 is outside the array of 3 elements", e.getMessage());
    }

    @Test
    void reportsAMissingFeedAndAFullBuffer() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Feeds.toFloat(new Batch(2).size(1), 1, "y", new float[1], 0, 1));
        assertEquals("feed 'y' (slot 1) is not set in the batch", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Feeds.toFloat(new Batch(1).size(1), 3, "z", new float[1], 0, 1));
        assertEquals("feed 'z': the batch has 1 slots, there is no slot 3", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Feeds.toFloat(new Batch(1).set(0, new float[20]).size(20), 0, "x", new float[16], 0, 20));
        assertEquals("feed 'x': a batch of 20 needs 20 elements, but the model's buffer has room for 16"
                + " (is the batch larger than the model's maximum batch size?)", e.getMessage());
    }
}
