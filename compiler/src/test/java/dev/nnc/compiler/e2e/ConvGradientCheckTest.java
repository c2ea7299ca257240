package dev.nnc.compiler.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.api.Nnc;
import dev.nnc.compiler.api.SourceFile;
import dev.nnc.compiler.diag.Diagnostic;
import dev.nnc.compiler.diag.ErrorCode;
import dev.nnc.compiler.testing.Models;
import dev.nnc.runtime.Batch;
import dev.nnc.runtime.CompiledModel;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Convolutions and pools through the whole pipeline: finite differences (f64) of the generated
 * code against its backward pass, and the generated code against the reference interpreter
 * ({@link ReferenceOracleTest#check}), for strides 1 and 2, padding 0, 1 and "same", dilation 2,
 * 1×1 kernels, both pools, and batch 1. Max pooling at ties is checked on its own below.
 */
class ConvGradientCheckTest {

    /** name, the body (x is f32[N, 2, 6, 5]), the loss. */
    static Stream<Arguments> programs() {
        return Stream.of(
                Arguments.of("conv_stride1_pad0", "h = x |> conv2d(3, kernel = 3) |> tanh", "loss mean(h * h)"),
                Arguments.of("conv_stride2_pad1", "h = x |> conv2d(3, kernel = 3, stride = 2, pad = 1)", "loss mean(h * h)"),
                Arguments.of("conv_same_even_kernel", "h = x |> conv2d(4, kernel = [3, 2], pad = \"same\") |> sigmoid",
                        "loss mean(h * h)"),
                Arguments.of("conv_dilation2", "h = x |> conv2d(2, kernel = 2, dilation = 2, init = normal(0.5))",
                        "loss mean(h * h)"),
                Arguments.of("conv_1x1_no_bias", "h = x |> conv2d(5, kernel = 1, bias = false) |> tanh", "loss mean(h * h)"),
                Arguments.of("conv_stride_2x1_pad_pair", "h = x |> conv2d(3, kernel = [2, 3], stride = [2, 1], pad = [1, 0])",
                        "loss mean(h * h)"),
                Arguments.of("conv_relu_max_pool", "h = x |> conv2d(3, kernel = 3, pad = 1) |> relu |> max_pool(2)",
                        "loss mean(h * h)"),
                Arguments.of("max_pool_tiling_the_input", "h = x |> conv2d(3, kernel = [1, 2]) |> max_pool(2)",
                        "loss mean(h * h)"),
                Arguments.of("max_pool_stride1_pad1", "h = (x |> conv2d(2, kernel = 1)) |> max_pool(3, stride = 1, pad = 1)",
                        "loss mean(h * h)"),
                Arguments.of("avg_pool", "h = x |> conv2d(2, kernel = 1) |> avg_pool(2)", "loss mean(h * h)"),
                Arguments.of("avg_pool_stride2_pad1", "h = x |> conv2d(2, kernel = 1) |> avg_pool(3, stride = 2, pad = 1)",
                        "loss mean(h * h)"),
                Arguments.of("lenet_like", "h = x |> conv2d(3, kernel = 3, pad = 1) |> relu |> max_pool(2) "
                        + "|> conv2d(4, kernel = 2) |> tanh |> flatten |> dense(3)", "loss cross_entropy(h, y)"));
    }

    static String program(String body, String loss) {
        return """
                model C {
                    input  x: f32[N, 2, 6, 5]
                    target y: i32[N]
                    BODY
                    output h
                    LOSS
                    optimizer sgd(lr = 0.1)
                }
                """.replace("BODY", body).replace("LOSS", loss);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("programs")
    void gradientsMatchFiniteDifferencesAndTheInterpreter(String name, String body, String loss) {
        String program = program(body, loss);
        GradientCheckTest.checkThroughCodeAndInterpreter(name, program);
    }

    /**
     * At a tie the maximum is not differentiable: the gradient goes to the first maximum of the
     * window (row-major), as in the interpreter; the gradient's total is the output gradient's.
     */
    @Test
    void maxPoolAtTiesSendsTheGradientToTheFirstMaximum() {
        var g = new dev.nnc.compiler.ir.Graph();
        var x = g.input("x", dev.nnc.compiler.ir.Shape.of(1, 1, 4, 4), dev.nnc.compiler.ir.Node.Type.FLOAT);
        var pool = new dev.nnc.compiler.ir.Attrs.Pool(2, 2, 2, 2, 0, 0);
        var y = g.node(dev.nnc.compiler.ir.Op.MAX_POOL, pool, x);
        var dy = g.input("dy", y.shape(), dev.nnc.compiler.ir.Node.Type.FLOAT);
        var dx = g.node(dev.nnc.compiler.ir.Op.MAX_POOL_GRAD, pool, x, dy);
        double[] xs = {1, 1, 2, 0, 1, 1, 2, 2, 5, 3, 4, 4, 3, 5, 4, 4}; // ties in every window
        var env = new dev.nnc.compiler.reference.Interpreter.Env(1, java.util.Map.of("x", xs, "dy",
                new double[] {10, 20, 30, 40}), java.util.Map.of(), dev.nnc.compiler.reference.Interpreter.MaskRule.KEEP_ALL);
        double[] got = dev.nnc.compiler.reference.Interpreter.value(dx, env);
        double[] expected = {10, 0, 20, 0, 0, 0, 0, 0, 30, 0, 40, 0, 0, 0, 0, 0};
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, got);
    }

    /** The generated max_pool gradient agrees with the interpreter's at ties, element for element. */
    @Test
    void generatedMaxPoolAtTiesAgreesWithTheInterpreter() {
        String program = """
                model T {
                    input  x: f32[N, 1, 4, 4]
                    param  k: f32[1, 1, 1, 1] = ones
                    h = conv2d(x, 1, kernel = 1, bias = false, init = ones) |> max_pool(2)
                    output h
                    loss sum(h * h)
                    optimizer sgd(lr = 0.1)
                }
                """;
        CompiledModel m = Models.model("t.nn", program, CompileOptions.defaults().withDtype(CompileOptions.Precision.F64),
                1, 5);
        double[] xs = {1, 1, 2, 0, 1, 1, 2, 2, 5, 3, 4, 4, 3, 5, 4, 4};
        Batch b = m.newBatch().size(1).set(0, xs);
        m.computeGradients(b);
        // h = [1, 2, 5, 4]; d loss / d w = Σ 2h · x at each window's first maximum = 2·(1·1 + 2·2 + 5·5 + 4·4)
        assertEquals(2 * (1 + 4 + 25 + 16), m.gradient("conv2d_1.weight")[0], 1e-12);
    }

    @Test
    void shapeErrorsArePositioned() {
        record Bad(String line, String fragment) {
        }
        for (Bad bad : List.of(
                new Bad("h = x |> conv2d(3, kernel = 7)", "7x7 kernel is larger than the padded input 6x5"),
                new Bad("h = x |> conv2d(3, kernel = 3, dilation = 3)", "kernel with dilation 3x3 is larger"),
                new Bad("h = x |> max_pool(7)", "window does not fit the padded input 6x5"),
                new Bad("h = x |> max_pool(2, pad = 2)", "more than half the window"),
                new Bad("h = x |> conv2d(3, kernel = 3, stride = 2, pad = \"same\")", "\"same\" needs stride 1"),
                new Bad("h = x |> conv2d(3, kernel = 0)", "expected 1 to 65536"),
                new Bad("h = flatten(x) |> conv2d(3, kernel = 3)", "input must be 4-D [N, C, H, W], got [N, 60]"))) {
            String program = program(bad.line(), "loss mean(h * h)");
            List<Diagnostic> ds = Nnc.check(new SourceFile("bad.nn", program));
            assertEquals(1, ds.size(), () -> bad.line() + ": " + ds);
            Diagnostic d = ds.getFirst();
            assertEquals(4, d.line(), d.format());
            assertTrue(d.code() == ErrorCode.SHAPE_MISMATCH || d.code() == ErrorCode.BAD_ARGUMENT, d.format());
            assertTrue(d.message().contains(bad.fragment()), () -> d.format() + "\nexpected: " + bad.fragment());
        }
        // an rnn-free reminder that a pool on a rank-2 input says what it needs
        List<Diagnostic> ds = Nnc.check(new SourceFile("bad.nn", program("h = flatten(x) |> max_pool(2)", "loss mean(h * h)")));
        assertTrue(ds.getFirst().message().contains("input must be 4-D"), ds.toString());
    }
}
