package dev.nnc.compiler.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.api.Nnc;
import dev.nnc.compiler.api.SourceFile;
import dev.nnc.compiler.diag.Diagnostic;
import dev.nnc.compiler.diag.ErrorCode;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Reproducers of front-end bugs found by {@link FrontEndFuzzTest} and while writing it. Each test
 * names what went wrong before the fix.
 */
class FrontEndRegressionTest {

    private static List<Diagnostic> check(String body) {
        String text = "model M {\n    input x: f32[N, 4]\n    target y: i32[N]\n" + body + "\n}\n";
        List<Diagnostic> ds = Nnc.check(new SourceFile("r.nn", text));
        FrontEndFuzzTest.assertDiagnosticsWellFormed(new SourceFile("r.nn", text), ds);
        return ds;
    }

    private static void assertOnly(ErrorCode code, String fragment, String body) {
        List<Diagnostic> ds = check(body);
        assertEquals(1, ds.size(), () -> ds.toString());
        assertEquals(code, ds.getFirst().code(), ds.getFirst().format());
        assertTrue(ds.getFirst().message().contains(fragment), ds.getFirst().format());
    }

    // Integers beyond int were cast to Integer.MIN_VALUE, the "already reported" marker: the call
    // failed without a diagnostic and the model compiled without its output and loss.

    @Test
    void hugeNegativeUnitsAreReported() {
        assertOnly(ErrorCode.BAD_ARGUMENT, "between -999999999 and 999999999",
                "    h = dense(x, -2147483648)\n    output h\n    loss cross_entropy(h, y)");
    }

    @Test
    void hugeAxisIsReported() {
        assertOnly(ErrorCode.BAD_ARGUMENT, "axis", "    h = softmax(x, axis = -99999999999)\n    output h");
    }

    @Test
    void hugeUnitsAreReported() {
        assertOnly(ErrorCode.BAD_ARGUMENT, "units", "    h = dense(x, 2147483647)\n    output h");
    }

    // NaN and infinity (1e400, 0/0) were accepted or dropped silently; generated Java then held
    // the literals NaN and Infinityf and did not compile.

    @Test
    void notANumberAsDropoutRate() {
        assertOnly(ErrorCode.NOT_FINITE, "'(0 / 0)'", "    h = dropout(x, 0/0)\n    output h");
    }

    @Test
    void notANumberAsLeakyReluSlope() {
        assertOnly(ErrorCode.NOT_FINITE, "'(0 / 0)'", "    h = leaky_relu(x, alpha = 0/0)\n    output h");
    }

    @Test
    void notANumberInInitializer() {
        assertOnly(ErrorCode.NOT_FINITE, "'(0 / 0)'", "    h = dense(x, 3, init = constant(0/0))\n    output h");
    }

    @Test
    void infinityInInitializer() {
        assertOnly(ErrorCode.NOT_FINITE, "'1e400'", "    h = dense(x, 3, init = uniform(-1, 1e400))\n    output h");
    }

    @Test
    void infiniteLearningRateIsReportedOnce() {
        assertOnly(ErrorCode.NOT_FINITE, "'1e400'",
                "    h = dense(x, 3)\n    output h\n    loss cross_entropy(h, y)\n    optimizer sgd(lr = 1e400)");
    }

    @Test
    void notANumberAsRegularizerIsReportedOnce() {
        assertOnly(ErrorCode.NOT_FINITE, "'(0 / 0)'",
                "    h = dense(x, 3)\n    output h\n    loss cross_entropy(h, y)\n    regularize l2(0/0)");
    }

    @Test
    void overflowOfFoldedNumbers() {
        assertOnly(ErrorCode.NOT_FINITE, "'(1e300 * 1e300)'", "    h = x * (1e300 * 1e300)\n    output h");
    }

    // Element counts overflowed int (Shape.staticSize) and compiled into broken array sizes.

    @Test
    void parameterTooLarge() {
        assertOnly(ErrorCode.TOO_LARGE, "4294967296", "    h = x |> dense(65536) |> dense(65536)\n    output h");
    }

    @Test
    void allParametersTogetherTooLarge() {
        assertOnly(ErrorCode.TOO_LARGE, "the parameters of model 'M'",
                "    h = x |> dense(40000) |> dense(40000) |> dense(20000)\n    output h");
    }

    @Test
    void inputTooLarge() {
        List<Diagnostic> ds = Nnc.check(new SourceFile("r.nn",
                "model M {\n    input x: f32[N, 65536, 65537]\n    output x\n}\n"));
        assertEquals(List.of(ErrorCode.TOO_LARGE), ds.stream().map(Diagnostic::code).toList(), ds::toString);
    }

    @Test
    void reshapeWhoseSizeOverflowsIntIsNotAccepted() {
        // 65536 * 65537 wraps around to 65536 in int arithmetic
        List<Diagnostic> ds = check("    param w: f32[256, 256]\n    h = reshape(w, [65536, 65537])\n    output h");
        assertEquals(1, ds.size(), ds::toString);
        assertTrue(ds.getFirst().isError());
    }

    @Test
    void broadcastResultTooLarge() {
        assertOnly(ErrorCode.TOO_LARGE, "the result [N, 50000, 50000] of '+'",
                "    param a: f32[50000, 1]\n    param b: f32[50000]\n    h = reshape(x, [-1, 1, 4]) |> sum(axis = 2)"
                        + "\n    g = reshape(h, [-1, 1, 1]) * a + b\n    output g");
    }

    // Deep expressions overflowed the stack in AstBuilder or lowering: NNC040 internal compiler error.

    @Test
    void longSumIsASyntaxErrorNotACrash() {
        assertOnly(ErrorCode.SYNTAX, "nested too deeply", "    h = x" + " + x".repeat(20_000) + "\n    output h");
    }

    @Test
    void longPipeIsASyntaxErrorNotACrash() {
        assertOnly(ErrorCode.SYNTAX, "nested too deeply", "    h = x" + " |> relu".repeat(20_000) + "\n    output h");
    }

    @Test
    void deepParenthesesArePositioned() {
        List<Diagnostic> ds = check("    h = " + "(".repeat(5000) + "x" + ")".repeat(5000) + "\n    output h");
        assertEquals(1, ds.size(), ds::toString);
        assertEquals(ErrorCode.SYNTAX, ds.getFirst().code());
        assertEquals(4, ds.getFirst().line(), "on the line of the expression, not at 1:1");
    }

    @Test
    void nestingUpToTheLimitCompiles() {
        List<Diagnostic> ds = check("    h = x" + " |> tanh".repeat(200) + "\n    output h");
        assertTrue(ds.isEmpty(), ds::toString);
    }

    // Follow-on errors.

    @Test
    void badInputDimensionIsNotAlsoAMissingInput() {
        List<Diagnostic> ds = Nnc.check(new SourceFile("r.nn", "model M {\n    input x: f32[N, 0]\n    output x\n}\n"));
        assertEquals(List.of(ErrorCode.BAD_DECLARATION), ds.stream().map(Diagnostic::code).toList(), ds::toString);
        assertTrue(ds.getFirst().message().contains("dimension must be a positive integer"));
    }

    @Test
    void binaryOperatorIsQuotedOnce() {
        List<Diagnostic> ds = check("    h = true + x\n    output h");
        assertEquals(1, ds.size(), ds::toString);
        assertTrue(ds.getFirst().message().contains("of '+'"), ds.getFirst().message());
        assertTrue(!ds.getFirst().message().contains("''"), ds.getFirst().message());
    }
}
