package dev.nnc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class ParamsTest {

    static final TensorInfo W = new TensorInfo("dense_1.weight", TensorInfo.Role.PARAM, DType.F32, new int[] {2, 3}, 0);
    static final TensorInfo B = new TensorInfo("dense_1.bias", TensorInfo.Role.PARAM, DType.F32, new int[] {3}, 6);
    static final List<TensorInfo> PARAMS = List.of(W, B);

    @Test
    void findsByName() {
        assertSame(B, Params.find(PARAMS, "dense_1.bias"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Params.find(PARAMS, "dense_2.bias"));
        assertEquals("unknown parameter 'dense_2.bias'; the model has: dense_1.weight, dense_1.bias", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Params.find(List.of(), "w"));
        assertEquals("unknown parameter 'w'; the model has: no parameters", e.getMessage());
    }

    @Test
    void readsAndWritesFloat() {
        float[] flat = {0, 1, 2, 3, 4, 5, 6, 7, 8};
        assertArrayEquals(new double[] {6, 7, 8}, Params.read(flat, B));
        Params.write(new double[] {0.5, 1.5, 2.5}, B, flat);
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, 0.5f, 1.5f, 2.5f}, flat);
        assertArrayEquals(new double[] {0, 1, 2, 3, 4, 5}, Params.read(flat, W));
    }

    @Test
    void readsAndWritesDouble() {
        double[] flat = new double[9];
        Params.write(new double[] {1, 2, 3, 4, 5, 6}, W, flat);
        assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6, 0, 0, 0}, flat);
        double[] copy = Params.read(flat, W);
        copy[0] = 99;
        assertEquals(1, flat[0]);
    }

    @Test
    void checksLengths() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Params.write(new double[5], W, new float[9]));
        assertEquals("parameter 'dense_1.weight' [2, 3] has 6 elements, got 5 values", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Params.read(new double[8], B));
        assertEquals("parameter 'dense_1.bias' [3] at offset 6 does not fit the flat buffer of 8 elements", e.getMessage());
    }
}
