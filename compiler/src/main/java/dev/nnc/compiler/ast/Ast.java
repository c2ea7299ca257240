package dev.nnc.compiler.ast;

import java.util.List;

/**
 * The syntax tree of a .nn file. Every node carries its {@link Pos}. Pipes are desugared while
 * building: {@code a |> f(b)} is the call {@code f(a, b)} with {@code piped = true}.
 */
public final class Ast {
    private Ast() {
    }

    public record Program(String file, List<Definition> definitions) {
    }

    public sealed interface Definition permits Model, Block {
        Pos pos();

        String name();

        List<Stmt> body();
    }

    public record Model(Pos pos, String name, List<Stmt> body) implements Definition {
    }

    public record Block(Pos pos, String name, List<Ident> params, List<Stmt> body) implements Definition {
    }

    public record Ident(Pos pos, String name) {
    }

    // ---- statements ----

    public sealed interface Stmt permits Input, Target, Param, Assign, Output, Loss, Optimizer, Regularize, Return {
        Pos pos();
    }

    public record Input(Pos pos, Ident name, TensorType type) implements Stmt {
    }

    public record Target(Pos pos, Ident name, TensorType type) implements Stmt {
    }

    /** {@code param w: f32[784, 10] = xavier_uniform}; init is null when omitted. */
    public record Param(Pos pos, Ident name, TensorType type, Expr init) implements Stmt {
    }

    public record Assign(Pos pos, Ident name, Expr value) implements Stmt {
    }

    public record Output(Pos pos, List<Expr> values) implements Stmt {
    }

    public record Loss(Pos pos, Expr value) implements Stmt {
    }

    public record Optimizer(Pos pos, Call call) implements Stmt {
    }

    public record Regularize(Pos pos, Call call) implements Stmt {
    }

    public record Return(Pos pos, Expr value) implements Stmt {
    }

    /** {@code f32[N, 784]}: a dtype and dimensions, each a size or a symbol (the batch dimension N). */
    public record TensorType(Pos pos, Ident dtype, List<Dim> dims) {
    }

    public record Dim(Pos pos, int size, String symbol) {
        public boolean symbolic() {
            return symbol != null;
        }

        @Override
        public String toString() {
            return symbolic() ? symbol : Integer.toString(size);
        }
    }

    // ---- expressions ----

    public sealed interface Expr permits Name, Num, Bool, Str, ListLit, Call, Binary, Negate {
        Pos pos();
    }

    public record Name(Pos pos, String name) implements Expr {
    }

    /** A number literal; {@code integral} when written without '.' or exponent. */
    public record Num(Pos pos, double value, boolean integral, String text) implements Expr {
    }

    public record Bool(Pos pos, boolean value) implements Expr {
    }

    /** A string argument ({@code pad = "same"}); {@code value} without the quotes. */
    public record Str(Pos pos, String value) implements Expr {
    }

    public record ListLit(Pos pos, List<Expr> items) implements Expr {
    }

    /** A call {@code fn(args) as alias}; alias is null when absent. */
    public record Call(Pos pos, Ident fn, List<Arg> args, Ident alias, boolean piped) implements Expr {
    }

    /** A positional (name == null) or named argument. */
    public record Arg(Pos pos, String name, Expr value) {
    }

    public record Binary(Pos pos, String op, Expr left, Expr right) implements Expr {
    }

    public record Negate(Pos pos, Expr operand) implements Expr {
    }
}
