package dev.nnc.compiler.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.testing.Models;
import dev.nnc.runtime.CompiledModel;
import org.junit.jupiter.api.Test;

/** Constants and names at the edges of what the generated Java can hold. */
class LiteralRangeTest {

    private static final String BIG = """
            model Big {
                input x: f32[N, 2]
                y = x * -1e39
                output y
            }
            """;

    private static float[] predict(CompiledModel m, float... x) {
        var b = m.newBatch().size(1).set(0, x, 0);
        m.predict(b);
        float[] y = new float[2];
        m.copyOutput(0, y, 0);
        return y;
    }

    /** A finite constant beyond the float range is what rounding it to float gives: an infinity (javac rejected Infinityf). */
    @Test
    void constantsBeyondTheFloatRangeAreInfiniteInF32() {
        CompiledModel m = Models.model("big.nn", BIG, CompileOptions.defaults(), 1, 1);
        float[] y = predict(m, 1f, 0f);
        assertEquals(Float.NEGATIVE_INFINITY, y[0]);
        assertEquals(Float.NaN, y[1]); // 0 · (-inf)
    }

    /** In f64 the same constants are ordinary numbers. */
    @Test
    void theyAreFiniteInF64() {
        CompiledModel m = Models.model("big.nn", BIG, CompileOptions.defaults().withDtype(CompileOptions.Precision.F64), 1, 1);
        var b = m.newBatch().size(1).set(0, new double[] {1, 0}, 0);
        m.predict(b);
        double[] y = new double[2];
        m.copyOutput(0, y, 0);
        assertEquals(-1e39, y[0]);
        assertEquals(-0.0, y[1]);
    }

    /** Model names that are runtime types the generated code uses get another class name and still compile. */
    @Test
    void runtimeTypeNamesAsModelNames() {
        for (String name : new String[] {"Sums", "Steps", "VectorConv"}) {
            CompiledModel m = Models.model("n.nn", BIG.replace("model Big", "model " + name), CompileOptions.defaults(), 1, 1);
            assertEquals(name, m.name());
        }
    }
}
