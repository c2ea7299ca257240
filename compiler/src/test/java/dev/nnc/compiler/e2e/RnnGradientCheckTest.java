package dev.nnc.compiler.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.api.CompileResult;
import dev.nnc.compiler.api.Nnc;
import dev.nnc.compiler.api.SourceFile;
import dev.nnc.compiler.diag.Diagnostic;
import dev.nnc.compiler.diag.ErrorCode;
import dev.nnc.compiler.testing.Models;
import dev.nnc.runtime.Batch;
import dev.nnc.runtime.CompiledModel;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The recurrence through the whole pipeline: an Elman RNN for T = 1 and T = 7, with and without
 * {@code return_sequences}, checked by finite differences of the generated code (f64) and against
 * the reference interpreter; T = 1000 compiles to one loop over t and trains.
 */
class RnnGradientCheckTest {

    static Stream<Arguments> programs() {
        return Stream.of(
                Arguments.of("rnn_T1_last", 1, "h = x |> rnn(4, return_sequences = false)\n    out = dense(h, 3)",
                        "loss cross_entropy(out, y)"),
                Arguments.of("rnn_T7_last", 7, "h = x |> rnn(4, return_sequences = false)\n    out = dense(h, 3)",
                        "loss cross_entropy(out, y)"),
                Arguments.of("rnn_T1_sequences", 1, "out = x |> rnn(3)", "loss mean(out * out)"),
                Arguments.of("rnn_T7_sequences", 7, "out = x |> rnn(3) |> flatten |> dense(3)", "loss cross_entropy(out, y)"),
                Arguments.of("rnn_stacked_no_bias", 5, "out = x |> rnn(4, bias = false) |> rnn(3, return_sequences = false)",
                        "loss cross_entropy(out, y)"));
    }

    static String program(int steps, String body, String loss) {
        return """
                model R {
                    input  x: f32[N, T, 3]
                    target y: i32[N]
                    BODY
                    output out
                    LOSS
                    optimizer sgd(lr = 0.1)
                }
                """.replace("T,", steps + ",").replace("BODY", body).replace("LOSS", loss);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("programs")
    void gradientsMatchFiniteDifferencesAndTheInterpreter(String name, int steps, String body, String loss) {
        String program = program(steps, body, loss);
        GradientCheckTest.checkThroughCodeAndInterpreter(name, program);
    }

    /** 1000 steps: one loop over t, every generated method far below the JVM's 64 KB, and it trains. */
    @Test
    void aThousandStepsCompileToOneLoopAndTrain() {
        String program = program(1000, "h = x |> rnn(8, return_sequences = false)\n    out = dense(h, 3)",
                "loss cross_entropy(out, y)");
        CompileResult r = Nnc.compile(new SourceFile("long.nn", program), CompileOptions.defaults());
        assertTrue(r.ok(), r.formatDiagnostics());
        String code = r.sources().getFirst().code();
        assertTrue(code.contains("for (int t = 0; t < 1000; t++)") && code.contains("for (int t = 999; t >= 0; t--)"),
                "one forward and one reverse loop over t");
        assertTrue(code.length() < 120_000, "the class does not grow with T: " + code.length() + " characters");
        var classes = dev.nnc.compiler.testing.GeneratedCodeAudit.compileAndAudit(r.sources());
        for (byte[] bytes : classes.values()) {
            var cm = java.lang.classfile.ClassFile.of().parse(bytes);
            for (var mm : cm.methods()) {
                int size = mm.findAttribute(java.lang.classfile.Attributes.code())
                        .map(java.lang.classfile.attribute.CodeAttribute::codeLength).orElse(0);
                assertTrue(size < 8_000, mm.methodName() + " has " + size + " bytes of bytecode");
            }
        }
        CompiledModel m = Models.model("long.nn", program, CompileOptions.defaults(), 4, 3);
        Batch b = GradientCheckTest.randomBatch(m, 4, new Random(1));
        double first = m.trainStep(b);
        double last = first;
        for (int i = 0; i < 30; i++) last = m.trainStep(b);
        final double end = last;
        assertTrue(Double.isFinite(first) && end < first, () -> "loss " + first + " -> " + end);
    }

    @Test
    void anRnnOnARank2InputIsAPositionedError() {
        String program = """
                model R {
                    input  x: f32[N, 12]
                    h = x |> rnn(4)
                    output h
                }
                """;
        List<Diagnostic> ds = Nnc.check(new SourceFile("bad.nn", program));
        assertEquals(1, ds.size(), ds.toString());
        assertEquals(ErrorCode.SHAPE_MISMATCH, ds.getFirst().code());
        assertEquals(3, ds.getFirst().line());
        assertTrue(ds.getFirst().message().contains("input must be 3-D [N, T, features], got [N, 12]"),
                ds.getFirst().format());
    }
}
