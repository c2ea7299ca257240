package dev.nnc.compiler.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.api.Nnc;
import dev.nnc.compiler.api.SourceFile;
import dev.nnc.compiler.testing.Models;
import dev.nnc.runtime.Batch;
import dev.nnc.runtime.CompiledModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** --mode inference: the same predictions and loss as the training build, and nothing for training. */
class InferenceModeTest {
    @ParameterizedTest
    @ValueSource(strings = {"logistic.nn", "fashion_mlp.nn", "deep_mlp.nn"})
    void predictsLikeTheTrainingBuildAndKeepsNoTrainingState(String file) throws IOException {
        String program = Files.readString(Path.of("../samples/src/main/nn", file));
        CompileOptions train = CompileOptions.defaults().withDtype(CompileOptions.Precision.F64);
        CompileOptions infer = train.withMode(CompileOptions.Mode.INFERENCE);
        CompiledModel a = Models.model(file, program, train, 7, 3);
        CompiledModel b = Models.model(file, program, infer, 7, 3);
        Batch ba = GradientCheckTest.randomBatch(a, 7, new Random(1));
        Batch bb = GradientCheckTest.randomBatch(b, 7, new Random(1));
        assertEquals(a.loss(ba), b.loss(bb), 0.0);
        double[] oa = new double[7 * a.outputs().getFirst().rowSize()];
        double[] ob = new double[oa.length];
        a.predict(ba);
        b.predict(bb);
        a.copyOutput(0, oa, 0);
        b.copyOutput(0, ob, 0);
        org.junit.jupiter.api.Assertions.assertArrayEquals(oa, ob, 0.0);
        assertThrows(UnsupportedOperationException.class, () -> b.trainStep(bb));
        assertThrows(UnsupportedOperationException.class, () -> b.gradient(b.parameters().getFirst().name()));
        String code = Nnc.compile(new SourceFile(file, program), infer).sources().getFirst().code();
        assertFalse(code.contains("grads") || code.contains(" state") || code.contains("backward pass")
                || code.contains("withGradients)") && !code.contains("compiled with --mode inference"),
                "no gradient buffer, optimizer state or training pass in an inference build");
    }
}
