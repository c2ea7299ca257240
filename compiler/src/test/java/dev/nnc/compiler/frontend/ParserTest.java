package dev.nnc.compiler.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.api.SourceFile;
import dev.nnc.compiler.ast.Ast;
import dev.nnc.compiler.ast.AstPrinter;
import dev.nnc.compiler.ast.Parser;
import dev.nnc.compiler.ast.Pos;
import dev.nnc.compiler.diag.Diagnostics;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The parser and AstBuilder: precedence, pipes, literals, comments and positions. */
class ParserTest {

    static Ast.Program parse(String text) {
        Diagnostics diags = new Diagnostics(new SourceFile("p.nn", text));
        Ast.Program p = Parser.parse(diags);
        assertFalse(diags.hasErrors(), () -> diags.all().toString());
        assertNotNull(p);
        return p;
    }

    /** The expression of {@code h = <src>} in a model body. */
    static Ast.Expr expr(String src) {
        Ast.Program p = parse("model M {\n    h = " + src + "\n}\n");
        return ((Ast.Assign) p.definitions().getFirst().body().getFirst()).value();
    }

    static String printed(String src) {
        return AstPrinter.expr(expr(src));
    }

    // ---- precedence: unary minus, then * / @, then + -, then |> ----

    @Test
    void unaryMinusBindsTighterThanProduct() {
        assertEquals("((-a) * b)", printed("-a * b"));
        assertEquals("((-a) @ b)", printed("-a @ b"));
        assertEquals("(-(a + b))", printed("-(a + b)"));
        assertEquals("(-(-a))", printed("- -a"));
    }

    @Test
    void matmulBindsTighterThanSum() {
        assertEquals("(a + (b @ c))", printed("a + b @ c"));
        assertEquals("((a @ b) - c)", printed("a @ b - c"));
    }

    @Test
    void productAndSumAreLeftAssociative() {
        assertEquals("((a - b) - c)", printed("a - b - c"));
        assertEquals("((a / b) * c)", printed("a / b * c"));
        assertEquals("((a @ b) @ c)", printed("a @ b @ c"));
        assertEquals("((a * b) + (c * d))", printed("a * b + c * d"));
    }

    @Test
    void pipesDesugarToCalls() {
        assertEquals("g(f(a), 1)", printed("a |> f |> g(1)"));
        assertEquals("dense(relu(x), 10, init=he_normal)", printed("x |> relu |> dense(10, init = he_normal)"));
    }

    @Test
    void pipeIsLoosest() {
        assertEquals("f((a + b))", printed("a + b |> f"));
        assertEquals("f((a * (-b)))", printed("a * -b |> f"));
    }

    @Test
    void pipedCallsAreMarkedAndPositionedAtTheFunction() {
        Ast.Call g = assertInstanceOf(Ast.Call.class, expr("a |> f |> g(1)"));
        assertTrue(g.piped());
        assertEquals(new Pos(2, 19), g.pos());
        Ast.Call f = assertInstanceOf(Ast.Call.class, g.args().getFirst().value());
        assertTrue(f.piped());
        assertEquals(new Pos(2, 14), f.fn().pos());
        assertFalse(assertInstanceOf(Ast.Call.class, expr("f(a)")).piped());
    }

    @Test
    void binaryNodesArePositionedAtTheOperator() {
        Ast.Binary b = assertInstanceOf(Ast.Binary.class, expr("x @ w"));
        assertEquals("@", b.op());
        assertEquals(new Pos(2, 11), b.pos());
        assertEquals(new Pos(2, 9), b.left().pos());
        assertEquals(new Pos(2, 13), b.right().pos());
    }

    // ---- literals ----

    @Test
    void numberLiterals() {
        Ast.Num exp = assertInstanceOf(Ast.Num.class, expr("1e-3"));
        assertEquals(1e-3, exp.value());
        assertFalse(exp.integral());
        assertEquals("1e-3", exp.text());
        Ast.Num half = assertInstanceOf(Ast.Num.class, expr(".5"));
        assertEquals(0.5, half.value());
        assertFalse(half.integral());
        Ast.Num ten = assertInstanceOf(Ast.Num.class, expr("10"));
        assertEquals(10, ten.value());
        assertTrue(ten.integral());
        assertEquals(250.0, assertInstanceOf(Ast.Num.class, expr("2.5E+2")).value());
        assertEquals(1.0, assertInstanceOf(Ast.Num.class, expr("1.")).value());
        assertFalse(assertInstanceOf(Ast.Num.class, expr("10.0")).integral());
    }

    @Test
    void negativeNumbersAreNegations() {
        Ast.Negate n = assertInstanceOf(Ast.Negate.class, expr("-1"));
        assertEquals(1.0, assertInstanceOf(Ast.Num.class, n.operand()).value());
    }

    @Test
    void booleans() {
        assertEquals("dense(x, 3, bias=false)", printed("dense(x, 3, bias = false)"));
        assertTrue(assertInstanceOf(Ast.Bool.class, expr("true")).value());
        assertFalse(assertInstanceOf(Ast.Bool.class, expr("false")).value());
    }

    @Test
    void lists() {
        assertEquals("reshape(x, [(-1), 10])", printed("reshape(x, [-1, 10])"));
        assertEquals(List.of(), assertInstanceOf(Ast.ListLit.class, expr("[]")).items());
        Ast.ListLit nested = assertInstanceOf(Ast.ListLit.class, expr("[[1], [2, a + b]]"));
        assertEquals(2, nested.items().size());
        assertEquals("[[1], [2, (a + b)]]", AstPrinter.expr(nested));
    }

    @Test
    void asNamesACall() {
        Ast.Call c = assertInstanceOf(Ast.Call.class, expr("dense(h, 10) as classifier"));
        assertEquals("classifier", c.alias().name());
        assertEquals(new Pos(2, 25), c.alias().pos());
        assertEquals("dense(relu(x), 10) as d", printed("x |> relu |> dense(10) as d"));
        assertEquals("Hidden(x, 64) as first", printed("x |> Hidden(64) as first"));
    }

    @Test
    void namedAndPositionalArguments() {
        Ast.Call c = assertInstanceOf(Ast.Call.class, expr("sgd(0.1, momentum = 0.9)"));
        assertEquals(2, c.args().size());
        assertEquals(null, c.args().get(0).name());
        assertEquals("momentum", c.args().get(1).name());
        assertEquals(new Pos(2, 18), c.args().get(1).pos());
    }

    // ---- comments and layout ----

    @Test
    void commentsAreSkipped() {
        assertEquals("(a + b)", printed("a /* inline */ + // to the end of the line\n        b"));
        Ast.Program p = parse("""
                // a model
                /* with a
                   block comment */
                model M { // trailing
                    input x: f32[N, 4] /* here */ output x
                }
                """);
        assertEquals(2, p.definitions().getFirst().body().size());
        assertEquals(new Pos(4, 1), p.definitions().getFirst().pos());
    }

    @Test
    void commentMarkersInsideCommentsDoNotNest() {
        assertEquals("(a + b)", printed("a /* x /* y */ + b"));
        assertEquals("(a / b)", printed("a / b // */"));
    }

    // ---- definitions and statements ----

    @Test
    void wholeProgram() {
        Ast.Program p = parse("""
                block Hidden(x, width) {
                    return x |> dense(width) |> tanh
                }
                model Logistic {
                    input  x: f32[N, 784]
                    target y: f32[N, 1]
                    param  w: f32[784, 1] = xavier_uniform
                    param  b: f32[1]
                    p = sigmoid(x @ w + b)
                    output p, x
                    loss binary_cross_entropy(p, y)
                    optimizer sgd(lr = 0.1)
                    regularize l2(5e-4)
                }
                """);
        assertEquals("""
                program p.nn
                  block Hidden(x, width)  @1:1
                    return tanh(dense(x, width))  @2:5
                  model Logistic  @4:1
                    input x: f32[N, 784]  @5:5
                    target y: f32[N, 1]  @6:5
                    param w: f32[784, 1] = xavier_uniform  @7:5
                    param b: f32[1]  @8:5
                    p = sigmoid(((x @ w) + b))  @9:5
                    output p, x  @10:5
                    loss binary_cross_entropy(p, y)  @11:5
                    optimizer sgd(lr=0.1)  @12:5
                    regularize l2(5e-4)  @13:5
                """, AstPrinter.print(p));
        Ast.Block b = assertInstanceOf(Ast.Block.class, p.definitions().getFirst());
        assertEquals(List.of("x", "width"), b.params().stream().map(Ast.Ident::name).toList());
        assertEquals(new Pos(1, 17), b.params().get(1).pos());
    }

    @Test
    void tensorTypes() {
        Ast.Input in = (Ast.Input) parse("model M {\n    input x: f32[N, 1, 28, 28]\n}\n")
                .definitions().getFirst().body().getFirst();
        assertEquals("f32", in.type().dtype().name());
        assertEquals("[N, 1, 28, 28]", in.type().dims().toString());
        assertTrue(in.type().dims().getFirst().symbolic());
        assertEquals(28, in.type().dims().get(3).size());
        assertEquals(new Pos(2, 28), in.type().dims().get(3).pos());
    }

    @Test
    void emptyBlockAndModelBodiesParse() {
        Ast.Program p = parse("block B() { }\nmodel M { }\n");
        assertEquals(2, p.definitions().size());
        assertTrue(((Ast.Block) p.definitions().getFirst()).params().isEmpty());
    }
}
