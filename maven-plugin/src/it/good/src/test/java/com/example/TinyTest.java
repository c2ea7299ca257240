package com.example;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.runtime.CompiledModel;
import dev.nnc.runtime.TensorInfo;
import java.util.List;
import org.junit.jupiter.api.Test;

class TinyTest {

    @Test
    void generatedClassDescribesTheProgram() {
        CompiledModel model = new Tiny(32, 1L);
        assertEquals("Tiny", model.name());
        assertEquals(List.of("x", "y"), model.feeds().stream().map(TensorInfo::name).toList());
        assertArrayEquals(new int[] {-1, 4}, model.feeds().get(0).shape());
        List<TensorInfo> params = model.parameters();
        assertEquals(List.of("dense_1.weight", "dense_1.bias", "head.weight", "head.bias"),
                params.stream().map(TensorInfo::name).toList());
        assertArrayEquals(new int[] {4, 8}, params.get(0).shape());
        assertArrayEquals(new int[] {3}, params.get(3).shape());
    }

    @Test
    void trainingLowersTheLoss() {
        double[] losses = App.train(new Tiny(32, 1L), 20);
        assertTrue(losses[losses.length - 1] < 0.7 * losses[0],
                "loss " + losses[0] + " -> " + losses[losses.length - 1]);
    }
}
