package dev.nnc.compiler.ast;

import dev.nnc.grammar.NNParser;
import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;

/** Builds the {@link Ast} from ANTLR's parse tree, stamping every node with its position. */
final class AstBuilder {
    /**
     * Deepest expression nesting accepted. Later stages recurse over expressions, so a limit well
     * below what a 1 MB thread stack holds keeps them from overflowing (1000 levels did).
     */
    static final int MAX_NESTING = 256;

    /** Thrown when an expression nests deeper than {@link #MAX_NESTING}; reported by the parser. */
    static final class TooDeep extends RuntimeException {
        final Pos pos;

        TooDeep(Pos pos) {
            super(null, null, false, false);
            this.pos = pos;
        }
    }

    private final String file;
    private int depth;

    AstBuilder(String file) {
        this.file = file;
    }

    Ast.Program program(NNParser.ProgramContext ctx) {
        List<Ast.Definition> defs = new ArrayList<>();
        for (NNParser.DefinitionContext d : ctx.definition()) {
            defs.add(definition(d));
        }
        return new Ast.Program(file, defs);
    }

    private Ast.Definition definition(NNParser.DefinitionContext ctx) {
        if (ctx instanceof NNParser.ModelDefContext m) {
            return new Ast.Model(pos(m), m.name.getText(), statements(m.statement()));
        }
        NNParser.BlockDefContext b = (NNParser.BlockDefContext) ctx;
        List<Ast.Ident> params = b.params.stream().map(this::ident).toList();
        return new Ast.Block(pos(b), b.name.getText(), params, statements(b.statement()));
    }

    private List<Ast.Stmt> statements(List<NNParser.StatementContext> list) {
        return list.stream().map(this::statement).toList();
    }

    private Ast.Stmt statement(NNParser.StatementContext ctx) {
        return switch (ctx) {
            case NNParser.InputStmtContext s -> new Ast.Input(pos(s), ident(s.name), type(s.tensorType()));
            case NNParser.TargetStmtContext s -> new Ast.Target(pos(s), ident(s.name), type(s.tensorType()));
            case NNParser.ParamStmtContext s ->
                    new Ast.Param(pos(s), ident(s.name), type(s.tensorType()), s.init == null ? null : expr(s.init));
            case NNParser.AssignStmtContext s -> new Ast.Assign(pos(s), ident(s.name), expr(s.expr()));
            case NNParser.OutputStmtContext s -> new Ast.Output(pos(s), s.expr().stream().map(this::expr).toList());
            case NNParser.LossStmtContext s -> new Ast.Loss(pos(s), expr(s.expr()));
            case NNParser.OptimizerStmtContext s -> new Ast.Optimizer(pos(s), call(s.call(), null));
            case NNParser.RegularizeStmtContext s -> new Ast.Regularize(pos(s), call(s.call(), null));
            case NNParser.ReturnStmtContext s -> new Ast.Return(pos(s), expr(s.expr()));
            default -> throw new IllegalStateException("unhandled statement " + ctx.getClass().getSimpleName());
        };
    }

    private Ast.TensorType type(NNParser.TensorTypeContext ctx) {
        List<Ast.Dim> dims = new ArrayList<>();
        for (NNParser.DimContext d : ctx.dim()) {
            if (d instanceof NNParser.SymbolicDimContext s) {
                dims.add(new Ast.Dim(pos(s), -1, s.getText()));
            } else {
                String text = d.getText();
                int size;
                try {
                    size = text.matches("[0-9]+") ? Integer.parseInt(text) : -2;
                } catch (NumberFormatException e) {
                    size = -2;
                }
                dims.add(new Ast.Dim(pos(d), size, null)); // -2: not a valid size, reported by the resolver
            }
        }
        return new Ast.TensorType(pos(ctx), ident(ctx.dtype), dims);
    }

    private Ast.Expr expr(NNParser.ExprContext ctx) {
        if (++depth > MAX_NESTING) throw new TooDeep(pos(ctx));
        try {
            return exprAt(ctx);
        } finally {
            depth--;
        }
    }

    private Ast.Expr exprAt(NNParser.ExprContext ctx) {
        return switch (ctx) {
            case NNParser.PrimaryExprContext e -> primary(e.primary());
            case NNParser.NegateExprContext e -> new Ast.Negate(pos(e), expr(e.expr()));
            case NNParser.MulExprContext e -> new Ast.Binary(pos(e.op), e.op.getText(), expr(e.expr(0)), expr(e.expr(1)));
            case NNParser.AddExprContext e -> new Ast.Binary(pos(e.op), e.op.getText(), expr(e.expr(0)), expr(e.expr(1)));
            case NNParser.PipeExprContext e -> pipe(expr(e.expr()), e.pipeTarget());
            default -> throw new IllegalStateException("unhandled expression " + ctx.getClass().getSimpleName());
        };
    }

    /** {@code a |> f(b)} becomes {@code f(a, b)}; {@code a |> f} becomes {@code f(a)}. */
    private Ast.Expr pipe(Ast.Expr input, NNParser.PipeTargetContext target) {
        if (target instanceof NNParser.PipeNameContext n) {
            Ast.Ident fn = ident(n.ID().getSymbol());
            return new Ast.Call(fn.pos(), fn, List.of(new Ast.Arg(input.pos(), null, input)), null, true);
        }
        return call(((NNParser.PipeCallContext) target).call(), input);
    }

    private Ast.Call call(NNParser.CallContext ctx, Ast.Expr pipedInput) {
        List<Ast.Arg> args = new ArrayList<>();
        if (pipedInput != null) {
            args.add(new Ast.Arg(pipedInput.pos(), null, pipedInput));
        }
        for (NNParser.ArgContext a : ctx.arg()) {
            args.add(new Ast.Arg(pos(a), a.name == null ? null : a.name.getText(), expr(a.expr())));
        }
        return new Ast.Call(pos(ctx), ident(ctx.fn), args, ctx.alias == null ? null : ident(ctx.alias),
                pipedInput != null);
    }

    private Ast.Expr primary(NNParser.PrimaryContext ctx) {
        return switch (ctx) {
            case NNParser.CallPrimaryContext p -> call(p.call(), null);
            case NNParser.NamePrimaryContext p -> new Ast.Name(pos(p), p.getText());
            case NNParser.NumberPrimaryContext p -> number(p);
            case NNParser.BoolPrimaryContext p -> new Ast.Bool(pos(p), p.value.getText().equals("true"));
            case NNParser.StringPrimaryContext p -> new Ast.Str(pos(p), p.STRING().getText()
                    .substring(1, p.STRING().getText().length() - 1));
            case NNParser.ListPrimaryContext p -> new Ast.ListLit(pos(p), p.expr().stream().map(this::expr).toList());
            case NNParser.ParenPrimaryContext p -> expr(p.expr());
            default -> throw new IllegalStateException("unhandled primary " + ctx.getClass().getSimpleName());
        };
    }

    private Ast.Num number(NNParser.NumberPrimaryContext p) {
        String text = p.getText();
        return new Ast.Num(pos(p), Double.parseDouble(text), text.matches("[0-9]+"), text);
    }

    private Ast.Ident ident(Token t) {
        return new Ast.Ident(pos(t), t.getText());
    }

    private static Pos pos(ParserRuleContext ctx) {
        return pos(ctx.getStart());
    }

    private static Pos pos(Token t) {
        return new Pos(t.getLine(), t.getCharPositionInLine() + 1);
    }
}
