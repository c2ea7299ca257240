package dev.nnc.compiler.ast;

import java.util.stream.Collectors;

/** An indented dump of the syntax tree with positions, for {@code nnc inspect --stage ast}. */
public final class AstPrinter {
    private AstPrinter() {
    }

    public static String print(Ast.Program p) {
        StringBuilder sb = new StringBuilder("program ").append(p.file()).append('\n');
        for (Ast.Definition d : p.definitions()) {
            if (d instanceof Ast.Block b) {
                sb.append("  block ").append(b.name()).append('(')
                        .append(b.params().stream().map(Ast.Ident::name).collect(Collectors.joining(", ")))
                        .append(")  @").append(b.pos()).append('\n');
            } else {
                sb.append("  model ").append(d.name()).append("  @").append(d.pos()).append('\n');
            }
            for (Ast.Stmt s : d.body()) sb.append("    ").append(stmt(s)).append("  @").append(s.pos()).append('\n');
        }
        return sb.toString();
    }

    private static String stmt(Ast.Stmt s) {
        return switch (s) {
            case Ast.Input i -> "input " + i.name().name() + ": " + type(i.type());
            case Ast.Target t -> "target " + t.name().name() + ": " + type(t.type());
            case Ast.Param p -> "param " + p.name().name() + ": " + type(p.type()) + (p.init() == null ? "" : " = " + expr(p.init()));
            case Ast.Assign a -> a.name().name() + " = " + expr(a.value());
            case Ast.Output o -> "output " + o.values().stream().map(AstPrinter::expr).collect(Collectors.joining(", "));
            case Ast.Loss l -> "loss " + expr(l.value());
            case Ast.Optimizer o -> "optimizer " + expr(o.call());
            case Ast.Regularize r -> "regularize " + expr(r.call());
            case Ast.Return r -> "return " + expr(r.value());
        };
    }

    private static String type(Ast.TensorType t) {
        return t.dtype().name() + t.dims().stream().map(Ast.Dim::toString).collect(Collectors.joining(", ", "[", "]"));
    }

    /** Fully parenthesized, pipes shown desugared as calls. */
    public static String expr(Ast.Expr e) {
        return switch (e) {
            case Ast.Name n -> n.name();
            case Ast.Num n -> n.text();
            case Ast.Bool b -> Boolean.toString(b.value());
            case Ast.Str s -> '"' + s.value() + '"';
            case Ast.ListLit l -> l.items().stream().map(AstPrinter::expr).collect(Collectors.joining(", ", "[", "]"));
            case Ast.Negate n -> "(-" + expr(n.operand()) + ")";
            case Ast.Binary b -> "(" + expr(b.left()) + " " + b.op() + " " + expr(b.right()) + ")";
            case Ast.Call c -> c.fn().name() + c.args().stream()
                    .map(a -> (a.name() == null ? "" : a.name() + "=") + expr(a.value()))
                    .collect(Collectors.joining(", ", "(", ")")) + (c.alias() == null ? "" : " as " + c.alias().name());
        };
    }
}
