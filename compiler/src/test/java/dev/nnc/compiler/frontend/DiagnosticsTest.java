package dev.nnc.compiler.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.api.Nnc;
import dev.nnc.compiler.api.SourceFile;
import dev.nnc.compiler.diag.Diagnostic;
import dev.nnc.compiler.diag.ErrorCode;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * One test per diagnostic the front end promises: the exact {@code file:line:col: error:} prefix,
 * the stable code, what the message says, the source line and the caret under the right column.
 * The programs here are the examples of docs/errors.md.
 */
class DiagnosticsTest {

    static List<Diagnostic> check(String text) {
        return Nnc.check(new SourceFile("test.nn", text));
    }

    /** Asserts exactly one diagnostic, at line:col, with the code and a message containing {@code fragment}. */
    static Diagnostic assertOne(String text, ErrorCode code, int line, int col, String fragment) {
        List<Diagnostic> ds = check(text);
        assertEquals(1, ds.size(), () -> "expected one diagnostic, got:\n"
                + ds.stream().map(Diagnostic::format).collect(Collectors.joining("\n")));
        Diagnostic d = ds.getFirst();
        assertFormatted(text, d, code, line, col, fragment);
        return d;
    }

    static void assertFormatted(String text, Diagnostic d, ErrorCode code, int line, int col, String fragment) {
        String f = d.format();
        assertTrue(f.startsWith("test.nn:" + line + ":" + col + ": error: "), f);
        assertEquals(code, d.code(), f);
        assertTrue(f.contains(" [" + code.id() + "]"), f);
        assertTrue(d.message().contains(fragment), () -> "'" + fragment + "' not in:\n" + f);
        String[] parts = f.split("\n", -1);
        assertEquals(3, parts.length, f);
        assertEquals(text.split("\n", -1)[line - 1], parts[1], f);
        assertEquals(" ".repeat(col - 1) + "^", parts[2], f);
    }

    // ---- names ----

    @Test
    void undefinedName() {
        assertOne("""
                model M {
                    input x: f32[N, 4]
                    h = relu(z)
                    output h
                }
                """, ErrorCode.UNDEFINED_NAME, 3, 14, "undefined name 'z'");
    }

    @Test
    void duplicateName() {
        assertOne("""
                model M {
                    input x: f32[N, 4]
                    h = relu(x)
                    h = tanh(x)
                    output h
                }
                """, ErrorCode.DUPLICATE_NAME, 4, 5, "duplicate name 'h' (first defined at line 3)");
    }

    @Test
    void duplicateBlockParameter() {
        assertOne("""
                block B(x, x) {
                    return x
                }
                model M {
                    input x: f32[N, 4]
                    output B(x, x)
                }
                """, ErrorCode.DUPLICATE_NAME, 1, 12, "duplicate name 'x' (first defined at line 1)");
    }

    @Test
    void duplicateLayerNameFromAs() {
        List<Diagnostic> ds = check("""
                model M {
                    input x: f32[N, 4]
                    h = x |> dense(4) as d |> dense(4) as d
                    output h
                }
                """);
        assertEquals(ErrorCode.DUPLICATE_NAME, ds.getFirst().code());
        assertTrue(ds.getFirst().message().contains("'d.weight'"), ds.getFirst().message());
    }

    // ---- calls ----

    @Test
    void unknownOpSuggestsTheClosestName() {
        assertOne("""
                model M {
                    input x: f32[N, 4]
                    h = x |> dense(8) |> rleu
                    output h
                }
                """, ErrorCode.UNKNOWN_OP, 3, 26, "unknown operation 'rleu' (did you mean 'relu'?)");
    }

    @Test
    void unknownOpWithoutCloseName() {
        Diagnostic d = assertOne("""
                model M {
                    input x: f32[N, 4]
                    h = frobnicate(x)
                    output h
                }
                """, ErrorCode.UNKNOWN_OP, 3, 9, "unknown operation 'frobnicate'");
        assertTrue(!d.message().contains("did you mean"), d.message());
    }

    @Test
    void unknownNamedArgument() {
        assertOne("""
                model M {
                    input x: f32[N, 4]
                    h = dense(x, 8, activation = 1)
                    output h
                }
                """, ErrorCode.UNKNOWN_ARGUMENT, 3, 21,
                "'dense' has no argument named 'activation' (expected one of: x, units, init, bias, bias_init)");
    }

    @Test
    void missingRequiredArgumentWhenOthersAreNamed() {
        assertOne("""
                model M {
                    input x: f32[N, 4]
                    h = dense(x, init = he_normal)
                    output h
                }
                """, ErrorCode.MISSING_ARGUMENT, 3, 9, "'dense' is missing argument 'units'");
    }

    @Test
    void missingNamedArgumentOfOptimizer() {
        assertOne("""
                model M {
                    input x: f32[N, 4]
                    target y: f32[N, 2]
                    h = dense(x, 2)
                    output h
                    loss mse(h, y)
                    optimizer sgd(momentum = 0.9)
                }
                """, ErrorCode.MISSING_ARGUMENT, 7, 15, "'sgd' is missing argument 'lr'");
    }

    @Test
    void tooManyArguments() {
        assertOne("""
                model M {
                    input x: f32[N, 4]
                    h = relu(x, 2)
                    output h
                }
                """, ErrorCode.ARGUMENT_COUNT, 3, 17, "'relu' takes 1 argument (x), got 2");
    }

    @Test
    void tooFewArguments() {
        assertOne("""
                model M {
                    input x: f32[N, 4]
                    h = dense(x)
                    output h
                }
                """, ErrorCode.ARGUMENT_COUNT, 3, 9,
                "'dense' takes 2 to 5 arguments (x, units, init, bias, bias_init), got 1");
    }

    @Test
    void tooManyArgumentsToABlock() {
        assertOne("""
                block Hidden(x, width) {
                    return x |> dense(width) |> tanh
                }
                model M {
                    input x: f32[N, 4]
                    output x |> Hidden(8, 9)
                }
                """, ErrorCode.ARGUMENT_COUNT, 6, 27, "'Hidden' takes 2 arguments (x, width), got 3");
    }

    @Test
    void badArgumentValue() {
        assertOne("""
                model M {
                    input x: f32[N, 4]
                    h = x |> dropout(1.5)
                    output h
                }
                """, ErrorCode.BAD_ARGUMENT, 3, 22,
                "argument 'rate' of 'dropout': expected a probability in [0, 1), got 1.5");
    }

    @Test
    void hugeIntegerArgument() {
        assertOne("""
                model M {
                    input x: f32[N, 4]
                    h = dense(x, -99999999999)
                    output h
                }
                """, ErrorCode.BAD_ARGUMENT, 3, 18, "expected an integer between -999999999 and 999999999");
    }

    @Test
    void numberThatIsNotFinite() {
        assertOne("""
                model M {
                    input x: f32[N, 4]
                    h = x * 1e400
                    output h
                }
                """, ErrorCode.NOT_FINITE, 3, 13, "'1e400' is not a finite number");
    }

    @Test
    void divisionByZeroOfNumbers() {
        assertOne("""
                model M {
                    input x: f32[N, 4]
                    h = x |> dropout(0 / 0)
                    output h
                }
                """, ErrorCode.NOT_FINITE, 3, 24, "'(0 / 0)' is not a finite number");
    }

    // ---- shapes and types ----

    @Test
    void shapeMismatchNamesTheOpAndBothShapes() {
        assertOne("""
                model M {
                    input x: f32[N, 784]
                    param w: f32[10, 5]
                    y = x @ w
                    output y
                }
                """, ErrorCode.SHAPE_MISMATCH, 4, 11,
                "shape mismatch in '@': inner dimensions differ: [N, 784] @ [10, 5] (784 vs 10)");
    }

    @Test
    void broadcastMismatch() {
        assertOne("""
                model M {
                    input x: f32[N, 4]
                    h = x + dense(x, 3)
                    output h
                }
                """, ErrorCode.SHAPE_MISMATCH, 3, 11, "shape mismatch in '+': cannot broadcast [N, 4] with [N, 3]");
    }

    @Test
    void transposeOfABatchedTensorIsRefused() {
        assertOne("""
                model M {
                    input x: f32[N, 4]
                    output transpose(x)
                }
                """, ErrorCode.SHAPE_MISMATCH, 3, 12, "shape mismatch in 'transpose': transpose of [N, 4]: a tensor "
                + "with the batch dimension N cannot be transposed (N stays the first dimension); transpose the other "
                + "operand of '@' instead");
    }

    @Test
    void layerShapeMismatchIsAtTheLayer() {
        assertOne("""
                model M {
                    input x: f32[N, 1, 28, 28]
                    h = x |> dense(10)
                    output h
                }
                """, ErrorCode.SHAPE_MISMATCH, 3, 14, "input must be 2-D [N, features], got [N, 1, 28, 28]");
    }

    @Test
    void integerTensorWhereFloatIsNeeded() {
        assertOne("""
                model M {
                    input x: f32[N, 4]
                    target y: i32[N]
                    h = relu(y)
                    output h
                }
                """, ErrorCode.DTYPE_MISMATCH, 4, 14, "'relu' needs a float tensor, got i32[N]");
    }

    @Test
    void tensorTooLargeForAJavaArray() {
        assertOne("""
                model M {
                    input x: f32[N, 100000]
                    h = dense(x, 100000)
                    output h
                }
                """, ErrorCode.TOO_LARGE, 3, 9, "parameter 'dense_1.weight' [100000, 100000] has 10000000000 elements");
    }

    // ---- model structure ----

    @Test
    void optimizerWithoutLoss() {
        assertOne("""
                model M {
                    input x: f32[N, 4]
                    output x |> dense(2)
                    optimizer sgd(lr = 0.1)
                }
                """, ErrorCode.NO_LOSS, 4, 5, "'optimizer' needs a 'loss' in model 'M'");
    }

    @Test
    void outputMissing() {
        assertOne("""
                model M {
                    input x: f32[N, 4]
                    h = relu(x)
                }
                """, ErrorCode.NO_OUTPUT, 1, 1, "model 'M' has no 'output'");
    }

    @Test
    void recursionBetweenBlocks() {
        assertOne("""
                block A(x) {
                    return B(x)
                }
                block B(x) {
                    return A(x)
                }
                model M {
                    input x: f32[N, 4]
                    output A(x)
                }
                """, ErrorCode.RECURSION, 5, 12, "block 'A' calls itself (A -> B -> A)");
    }

    @Test
    void directRecursion() {
        assertOne("""
                block A(x) {
                    return x |> A
                }
                model M {
                    input x: f32[N, 4]
                    output A(x)
                }
                """, ErrorCode.RECURSION, 2, 17, "block 'A' calls itself (A -> A)");
    }

    @Test
    void statementGivenTwice() {
        assertOne("""
                model M {
                    input x: f32[N, 4]
                    output x
                    output relu(x)
                }
                """, ErrorCode.DUPLICATE_STATEMENT, 4, 5, "model 'M' has more than one 'output'");
    }

    @Test
    void fileWithoutModel() {
        assertOne("""
                block Hidden(x, width) {
                    return x |> dense(width) |> tanh
                }
                """, ErrorCode.NO_MODEL, 1, 1, "no 'model' definition in the file");
    }

    @Test
    void badDeclarationDoesNotCascade() {
        // the input is not declared, but its uses are not reported again
        assertOne("""
                model M {
                    input x: f16[N, 4]
                    output x
                }
                """, ErrorCode.BAD_DECLARATION, 2, 14, "unknown element type 'f16' (expected f32, f64 or i32)");
    }

    @Test
    void batchDimensionMustComeFirst() {
        assertOne("""
                model M {
                    input x: f32[4, N]
                    output x
                }
                """, ErrorCode.BAD_DECLARATION, 2, 21, "the batch dimension 'N' must be the first dimension");
    }

    // ---- lexical and syntax errors ----

    @Test
    void syntaxError() {
        assertOne("""
                model M {
                    input x: f32[N, 4]
                    h = relu(x
                    output h
                }
                """, ErrorCode.SYNTAX, 4, 5, "unexpected 'output' expecting {',', ')'}");
    }

    @Test
    void expressionNestedTooDeeply() {
        String text = "model M {\n    input x: f32[N, 4]\n    h = x" + " |> relu".repeat(300) + "\n    output h\n}\n";
        assertOne(text, ErrorCode.SYNTAX, 3, 9, "expression nested too deeply");
    }

    @Test
    void strayCharacter() {
        assertOne("""
                model M {
                    input x: f32[N, 4]
                    h = x $ 2
                    output h
                }
                """, ErrorCode.LEXER, 3, 11, "unexpected character '$'");
    }

    @Test
    void controlCharacterIsShownAsCodePoint() {
        assertOne("model M {\n    input x: f32[N, 4]\u0001\n    output x\n}\n", ErrorCode.LEXER, 2, 23,
                "unexpected character U+0001");
    }

    @Test
    void unterminatedBlockComment() {
        assertOne("""
                model M {
                    input x: f32[N, 4]
                    /* the output comes later
                    output x
                }
                """, ErrorCode.UNTERMINATED_COMMENT, 3, 5, "'/*' is never closed with '*/'");
    }

    @Test
    void emptyFile() {
        Diagnostic d = check("").getFirst();
        assertEquals(1, check("").size());
        assertEquals(ErrorCode.EMPTY_FILE, d.code());
        assertEquals("test.nn:1:1: error: empty program: expected at least one 'model' definition [NNC004]\n\n^",
                d.format());
    }

    @Test
    void nameTooLong() {
        String name = "x".repeat(129);
        Diagnostic d = assertOne("model M {\n    input " + name + ": f32[N, 4]\n    output x\n}\n",
                ErrorCode.NAME_TOO_LONG, 2, 11, "name of 129 characters; names have at most 128");
        assertEquals("test.nn:2:11: error: name of 129 characters; names have at most 128 [NNC005]", d.format().lines()
                .findFirst().orElseThrow());
        assertEquals(List.of(), check("model M {\n    input " + "x".repeat(128) + ": f32[N, 4]\n    output "
                + "x".repeat(128) + "\n}\n"), "128 characters are fine");
    }

    @Test
    void fileWithOnlyComments() {
        assertOne("""
                // nothing but comments
                /* and more
                   comments */
                """, ErrorCode.EMPTY_FILE, 1, 1, "empty program");
    }

    @Test
    void fileWithOnlyWhitespace() {
        assertEquals(ErrorCode.EMPTY_FILE, check("  \n\t\n").getFirst().code());
    }

    // ---- several errors at once ----

    @Test
    void independentErrorsAreReportedTogether() {
        String text = """
                model M {
                    input x: f32[N, 4]
                    a = relu(foo)
                    b = tanh(bar)
                    output a
                }
                """;
        List<Diagnostic> ds = check(text);
        assertEquals(2, ds.size(), () -> ds.toString());
        assertFormatted(text, ds.get(0), ErrorCode.UNDEFINED_NAME, 3, 14, "'foo'");
        assertFormatted(text, ds.get(1), ErrorCode.UNDEFINED_NAME, 4, 14, "'bar'");
    }

    @Test
    void errorsOfDifferentKindsAreReportedTogetherInSourceOrder() {
        String text = """
                model M {
                    input x: f32[N, 4]
                    a = x |> rleu
                    b = dense(x, 3, activation = 1)
                    c = x @ x
                    output a
                }
                """;
        List<Diagnostic> ds = check(text);
        assertEquals(List.of(ErrorCode.UNKNOWN_OP, ErrorCode.UNKNOWN_ARGUMENT, ErrorCode.SHAPE_MISMATCH),
                ds.stream().map(Diagnostic::code).toList(), () -> ds.toString());
        assertEquals(List.of(3, 4, 5), ds.stream().map(Diagnostic::line).toList());
    }

    @Test
    void severalStrayCharactersAreAllReported() {
        List<Diagnostic> ds = check("model M {\n    input x: f32[N, 4] $\n    output x #\n}\n");
        assertEquals(2, ds.size(), () -> ds.toString());
        assertEquals(List.of(2, 3), ds.stream().map(Diagnostic::line).toList());
    }

    // ---- the samples compile ----

    @Test
    void samplesHaveNoDiagnostics() {
        for (String sample : FrontEndFuzzTest.SAMPLES) {
            List<Diagnostic> ds = check(sample);
            assertTrue(ds.isEmpty(),
                    () -> sample + "\n" + ds.stream().map(Diagnostic::format).collect(Collectors.joining("\n")));
        }
    }
}
