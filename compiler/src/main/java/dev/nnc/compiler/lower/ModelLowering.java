package dev.nnc.compiler.lower;

import dev.nnc.compiler.ast.Ast;
import dev.nnc.compiler.ast.AstPrinter;
import dev.nnc.compiler.ast.Pos;
import dev.nnc.compiler.diag.Diagnostics;
import dev.nnc.compiler.diag.ErrorCode;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.ModelIr;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import dev.nnc.compiler.ir.ShapeException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Lowers one model in one mode (training or inference) into a shared graph. */
final class ModelLowering {
    /** A name in scope: its value and where it was defined. */
    record Binding(Value value, Pos pos) {
    }

    /** The model's scope, or one block instance's: its names, parameter prefix and layer counters. */
    static final class Scope {
        final String prefix;
        final Map<String, Binding> names = new HashMap<>();
        final Map<String, Integer> counters = new HashMap<>();
        final int depth;

        Scope(String prefix, int depth) {
            this.prefix = prefix;
            this.depth = depth;
        }

        /** Next automatic name for a layer or block instance: dense_1, dense_2, Hidden_1, … */
        String nextName(String kind) {
            int k = counters.merge(kind, 1, Integer::sum);
            return kind + "_" + k;
        }
    }

    final Lowering owner;
    final Diagnostics diags;
    final Graph g;
    final Ast.Model model;
    final boolean training;
    final Map<String, ModelIr.Param> params = new LinkedHashMap<>();
    final List<ModelIr.Feed> feeds = new ArrayList<>();
    final List<ModelIr.Output> outputs = new ArrayList<>();
    Node loss;
    private ModelIr.Optimizer optimizer;
    private double l2;
    private String batchSymbol;
    private int dropoutCount;

    ModelLowering(Lowering owner, Graph g, Ast.Model model, boolean training) {
        this.owner = owner;
        this.diags = owner.diags();
        this.g = g;
        this.model = model;
        this.training = training;
    }

    List<ModelIr.Param> paramList() {
        return List.copyOf(params.values());
    }

    ModelIr.Optimizer optimizer() {
        return optimizer;
    }

    /**
     * The training objective's data part. {@code regularize l2(λ)} adds λ/2·‖W‖² over the weights;
     * its gradient λW is applied by the fused optimizer update (one pass over the flat parameter
     * buffer), so it is not built into the graph and reported losses are data losses.
     */
    Node trainingLoss() {
        return loss;
    }

    void lowerBody() {
        Scope scope = new Scope("", 0);
        Pos outputPos = null;
        Pos lossPos = null;
        Pos optimizerPos = null;
        Pos regularizePos = null;
        for (Ast.Stmt s : model.body()) {
            g.at(s.pos());
            switch (s) {
                case Ast.Input in -> {
                    declareFeed(scope, in.name(), in.type(), false, in.pos());
                    poisonIfUnbound(scope, in.name());
                }
                case Ast.Target t -> {
                    declareFeed(scope, t.name(), t.type(), true, t.pos());
                    poisonIfUnbound(scope, t.name());
                }
                case Ast.Param p -> {
                    declareParam(scope, p);
                    poisonIfUnbound(scope, p.name());
                }
                case Ast.Assign a -> bind(scope, a.name(), label(eval(scope, a.value()), a.name().name()));
                case Ast.Output o -> {
                    if (outputPos != null) {
                        duplicateStatement(o.pos(), "output");
                        break;
                    }
                    outputPos = o.pos();
                    for (Ast.Expr e : o.values()) {
                        Node n = tensor(eval(scope, e), e.pos(), "output");
                        if (n != null) outputs.add(new ModelIr.Output(outputName(e), n));
                    }
                }
                case Ast.Loss l -> {
                    if (lossPos != null) {
                        duplicateStatement(l.pos(), "loss");
                        break;
                    }
                    lossPos = l.pos();
                    Node n = tensor(eval(scope, l.value()), l.value().pos(), "loss");
                    if (n != null && n.shape().rank() != 0) {
                        diags.error(ErrorCode.SHAPE_MISMATCH, l.value().pos(), "loss",
                                "the loss must be a scalar, got " + n.shape() + " (reduce it with mean(...) or sum(...))");
                    } else if (n != null) {
                        loss = n;
                    }
                }
                case Ast.Optimizer o -> {
                    if (optimizerPos != null) {
                        duplicateStatement(o.pos(), "optimizer");
                        break;
                    }
                    optimizerPos = o.pos();
                    optimizer = Builtins.optimizer(this, o.call());
                }
                case Ast.Regularize r -> {
                    if (regularizePos != null) {
                        duplicateStatement(r.pos(), "regularize");
                        break;
                    }
                    regularizePos = r.pos();
                    l2 = Builtins.regularizer(this, r.call());
                }
                case Ast.Return r -> diags.error(ErrorCode.BAD_DECLARATION, r.pos(),
                        "'return' is only allowed in a block; a model names its result with 'output'");
            }
        }
        if (model.body().stream().noneMatch(st -> st instanceof Ast.Input)) {
            diags.error(ErrorCode.BAD_DECLARATION, model.pos(), "model '" + model.name() + "' has no 'input'");
        }
        if (outputPos == null) {
            diags.error(ErrorCode.NO_OUTPUT, model.pos(), model.name());
        }
        if (optimizerPos != null && lossPos == null) {
            diags.error(ErrorCode.NO_LOSS, optimizerPos, model.name());
        }
        if (optimizer == null && lossPos != null) {
            optimizer = Builtins.defaultOptimizer();
        }
        if (optimizer != null) {
            optimizer = new ModelIr.Optimizer(optimizer.kind(), optimizer.args(), l2);
        }
    }

    private void duplicateStatement(Pos pos, String what) {
        diags.error(ErrorCode.DUPLICATE_STATEMENT, pos, model.name(), what);
    }

    private String outputName(Ast.Expr e) {
        String base = switch (e) {
            case Ast.Name n -> n.name();
            case Ast.Call c -> c.alias() != null ? c.alias().name() : c.fn().name();
            default -> "output";
        };
        String name = base;
        for (int k = 2; taken(name); k++) {
            name = base + "_" + k;
        }
        return name;
    }

    private boolean taken(String name) {
        return outputs.stream().anyMatch(o -> o.name().equals(name));
    }

    private static Value label(Value v, String name) {
        if (v instanceof Value.Tensor t && t.node().op() != Op.INPUT && t.node().op() != Op.PARAM) {
            t.node().labelIfUnset(name);
        }
        return v;
    }

    // ---- declarations ----

    private void declareFeed(Scope scope, Ast.Ident name, Ast.TensorType type, boolean target, Pos pos) {
        Node.Type et = elementType(type);
        if (et == null) return;
        for (int i = 0; i < type.dims().size(); i++) {
            Ast.Dim d = type.dims().get(i);
            if (d.symbolic()) {
                if (i != 0) {
                    diags.error(ErrorCode.BAD_DECLARATION, d.pos(), "the batch dimension '" + d.symbol()
                            + "' must be the first dimension");
                    return;
                }
                if (batchSymbol != null && !batchSymbol.equals(d.symbol())) {
                    diags.error(ErrorCode.BAD_DECLARATION, d.pos(), "batch dimension '" + d.symbol()
                            + "' differs from '" + batchSymbol + "' used before; one model has one batch size");
                    return;
                }
                batchSymbol = d.symbol();
            } else if (!validSize(d)) {
                return;
            }
        }
        Shape shape = Lowering.shapeOf(type);
        if (tooLarge(shape, name.pos(), "'" + name.name() + "'")) return;
        Node n = g.input(name.name(), shape, et);
        if (bind(scope, name, new Value.Tensor(n))) {
            feeds.add(new ModelIr.Feed(name.name(), target, n, pos));
        }
    }

    private boolean validSize(Ast.Dim d) {
        if (d.size() <= 0) {
            diags.error(ErrorCode.BAD_DECLARATION, d.pos(), "dimension must be a positive integer or N");
            return false;
        }
        return true;
    }

    private Node.Type elementType(Ast.TensorType type) {
        return switch (type.dtype().name()) {
            case "f32", "f64" -> Node.Type.FLOAT;
            case "i32" -> Node.Type.INT;
            default -> {
                diags.error(ErrorCode.BAD_DECLARATION, type.dtype().pos(),
                        "unknown element type '" + type.dtype().name() + "' (expected f32, f64 or i32)");
                yield null;
            }
        };
    }

    private void declareParam(Scope scope, Ast.Param p) {
        Node.Type et = elementType(p.type());
        if (et == null) return;
        if (et != Node.Type.FLOAT) {
            diags.error(ErrorCode.BAD_DECLARATION, p.type().dtype().pos(), "parameters must be f32 or f64");
            return;
        }
        for (Ast.Dim d : p.type().dims()) {
            if (d.symbolic()) {
                diags.error(ErrorCode.BAD_DECLARATION, d.pos(),
                        "a parameter's shape must be fixed; '" + d.symbol() + "' is not a number");
                return;
            }
            if (!validSize(d)) return;
        }
        Shape shape = Lowering.shapeOf(p.type());
        ModelIr.Init init;
        if (p.init() == null) {
            init = shape.rank() >= 2 ? new ModelIr.Init("xavier_uniform", new double[0])
                    : new ModelIr.Init("zeros", new double[0]);
        } else {
            init = Builtins.initializer(this, scope, p.init());
            if (init == null) return;
        }
        Node n = newParam(scope, scope.prefix + p.name().name(), shape, init, p.name().pos());
        if (n != null) bind(scope, p.name(), new Value.Tensor(n));
    }

    /** Creates (or, in the second lowering, finds) a parameter; reports duplicates. */
    Node newParam(Scope scope, String fullName, Shape shape, ModelIr.Init init, Pos pos) {
        return newParam(scope, fullName, shape, init, pos, false);
    }

    /** A parameter whose layout puts the outputs first ([O, C, KH, KW]) when {@code outputsFirst}. */
    Node newParam(Scope scope, String fullName, Shape shape, ModelIr.Init init, Pos pos, boolean outputsFirst) {
        ModelIr.Param existing = params.get(fullName);
        if (existing != null) {
            diags.error(ErrorCode.DUPLICATE_NAME, pos, fullName, existing.pos().line());
            return null;
        }
        if (tooLarge(shape, pos, "parameter '" + fullName + "' " + shape)) return null;
        long total = elements(shape);
        for (ModelIr.Param p : params.values()) total += elements(p.node().shape());
        if (total > Integer.MAX_VALUE) {
            diags.error(ErrorCode.TOO_LARGE, pos, "the parameters of model '" + model.name() + "' (with '"
                    + fullName + "')", count(total));
            return null;
        }
        Node n = g.param(fullName, shape);
        params.put(fullName, new ModelIr.Param(fullName, n, init, shape.rank() >= 2, pos, outputsFirst));
        return n;
    }

    /** Elements of one sample (the batch dimension counts once); Long.MAX_VALUE when that overflows. */
    static long elements(Shape s) {
        long n = 1;
        for (int i = 0; i < s.rank(); i++) {
            if (s.dim(i) == Shape.BATCH) continue;
            try {
                n = Math.multiplyExact(n, s.dim(i));
            } catch (ArithmeticException e) {
                return Long.MAX_VALUE;
            }
        }
        return n;
    }

    static String count(long n) {
        return n == Long.MAX_VALUE ? "more than " + Long.MAX_VALUE : Long.toString(n);
    }

    /** Reports a tensor too large for one Java array; true when it is. */
    boolean tooLarge(Shape s, Pos pos, String what) {
        long n = elements(s);
        if (n <= Integer.MAX_VALUE) return false;
        diags.error(ErrorCode.TOO_LARGE, pos, what, count(n));
        return true;
    }

    /** After a declaration that failed (and said why), binds its name to an error, so that uses stay quiet. */
    private static void poisonIfUnbound(Scope scope, Ast.Ident name) {
        scope.names.putIfAbsent(name.name(), new Binding(Value.ERROR, name.pos()));
    }

    /** Binds a name in the scope; reports a duplicate and returns false when it is taken. */
    boolean bind(Scope scope, Ast.Ident name, Value v) {
        Binding first = scope.names.get(name.name());
        if (first != null) {
            diags.error(ErrorCode.DUPLICATE_NAME, name.pos(), name.name(), first.pos().line());
            return false;
        }
        scope.names.put(name.name(), new Binding(v, name.pos()));
        return true;
    }

    // ---- expressions ----

    Value eval(Scope scope, Ast.Expr e) {
        g.at(e.pos());
        return switch (e) {
            case Ast.Num n -> finite(n.value(), n.integral(), n.text(), n.pos());
            case Ast.Bool b -> new Value.Bool(b.value());
            case Ast.Str s -> new Value.Str(s.value());
            case Ast.ListLit l -> new Value.ListV(l.items().stream().map(i -> eval(scope, i)).toList());
            case Ast.Name n -> lookup(scope, n);
            case Ast.Negate n -> negate(eval(scope, n.operand()), n.pos());
            case Ast.Binary b -> binary(b, eval(scope, b.left()), eval(scope, b.right()));
            case Ast.Call c -> call(scope, c);
        };
    }

    /** A number, or an error when it is infinite or NaN (1e400, 1 / 0): such values cannot be emitted. */
    private Value finite(double v, boolean integral, String text, Pos pos) {
        if (Double.isFinite(v)) return new Value.Num(v, integral);
        diags.error(ErrorCode.NOT_FINITE, pos, text);
        return Value.ERROR;
    }

    private Value lookup(Scope scope, Ast.Name n) {
        Binding b = scope.names.get(n.name());
        if (b != null) return b.value();
        if (Builtins.isInitializer(n.name())) {
            return new Value.InitV(new ModelIr.Init(n.name(), new double[0]));
        }
        if (Builtins.isBuiltin(n.name()) || owner.block(n.name()) != null) {
            diags.error(ErrorCode.BAD_ARGUMENT, n.pos(), n.name(), "expression",
                    "'" + n.name() + "' is an operation; call it, e.g. " + n.name() + "(x) or x |> " + n.name());
            return Value.ERROR;
        }
        diags.error(ErrorCode.UNDEFINED_NAME, n.pos(), n.name());
        return Value.ERROR;
    }

    private Value negate(Value v, Pos pos) {
        return switch (v) {
            case Value.Num n -> new Value.Num(-n.value(), n.integral());
            case Value.Tensor t -> {
                Node x = floatTensor(t, pos, "-");
                yield x == null ? Value.ERROR : new Value.Tensor(g.unary(Op.NEG, x));
            }
            case Value.Error err -> err;
            default -> {
                diags.error(ErrorCode.BAD_ARGUMENT, pos, "operand", "-", "expected a tensor or number, got "
                        + Value.describe(v));
                yield Value.ERROR;
            }
        };
    }

    private Value binary(Ast.Binary b, Value l, Value r) {
        if (l instanceof Value.Error || r instanceof Value.Error) return Value.ERROR;
        String op = b.op();
        if (l instanceof Value.Num x && r instanceof Value.Num y && !op.equals("@")) {
            double v = switch (op) {
                case "+" -> x.value() + y.value();
                case "-" -> x.value() - y.value();
                case "*" -> x.value() * y.value();
                default -> x.value() / y.value();
            };
            return finite(v, x.integral() && y.integral() && !op.equals("/"), AstPrinter.expr(b), b.pos());
        }
        Node a = operand(l, b.left().pos(), op);
        Node c = operand(r, b.right().pos(), op);
        if (a == null || c == null) return Value.ERROR;
        g.at(b.pos());
        try {
            Node n = switch (op) {
                case "@" -> g.matmul(a, c, false, false);
                case "+" -> g.binary(Op.ADD, a, c);
                case "-" -> g.binary(Op.SUB, a, c);
                case "*" -> g.binary(Op.MUL, a, c);
                default -> g.binary(Op.DIV, a, c);
            };
            return tooLarge(n.shape(), b.pos(), "the result " + n.shape() + " of '" + op + "'") ? Value.ERROR
                    : new Value.Tensor(n);
        } catch (ShapeException ex) {
            diags.error(ErrorCode.SHAPE_MISMATCH, b.pos(), op, ex.getMessage());
            return Value.ERROR;
        }
    }

    private Node operand(Value v, Pos pos, String op) {
        if (v instanceof Value.Num n) return g.constant(n.value());
        return tensor(v, pos, op) == null ? null : floatTensor((Value.Tensor) v, pos, op);
    }

    /** The node of a tensor value, or null after reporting that something else was given. */
    Node tensor(Value v, Pos pos, String what) {
        if (v instanceof Value.Tensor t) return t.node();
        if (!(v instanceof Value.Error)) {
            diags.error(ErrorCode.BAD_ARGUMENT, pos, "value", what, "expected a tensor, got " + Value.describe(v));
        }
        return null;
    }

    Node floatTensor(Value.Tensor t, Pos pos, String op) {
        if (!Lowering.isFloat(t.node())) {
            diags.error(ErrorCode.DTYPE_MISMATCH, pos, op, "i32" + t.node().shape());
            return null;
        }
        return t.node();
    }

    private Value call(Scope scope, Ast.Call c) {
        String fn = c.fn().name();
        if (scope.names.containsKey(fn)) {
            diags.error(ErrorCode.UNKNOWN_OP, c.fn().pos(), fn, " ('" + fn + "' is a value, not an operation)");
            return Value.ERROR;
        }
        Ast.Block block = owner.block(fn);
        if (block != null) return instantiate(scope, block, c);
        if (Builtins.isBuiltin(fn)) return Builtins.apply(this, scope, c);
        if (Builtins.isInitializer(fn)) {
            ModelIr.Init init = Builtins.initializer(this, scope, c);
            return init == null ? Value.ERROR : new Value.InitV(init);
        }
        String suggestion = Builtins.suggest(fn, owner);
        diags.error(ErrorCode.UNKNOWN_OP, c.fn().pos(), fn, suggestion == null ? "" : " (did you mean '" + suggestion + "'?)");
        // still evaluate the arguments so that their errors are reported too
        c.args().forEach(a -> eval(scope, a.value()));
        return Value.ERROR;
    }

    /** Lowers a block call in a fresh scope named after the instance: Hidden_1.dense_1.weight. */
    private Value instantiate(Scope scope, Ast.Block block, Ast.Call c) {
        if (scope.depth > 64) {
            diags.error(ErrorCode.RECURSION, c.fn().pos(), block.name(), "nesting deeper than 64");
            return Value.ERROR;
        }
        Signature sig = Signature.of(block.name(), block.params().stream().map(Ast.Ident::name).toArray(String[]::new));
        Map<String, Ast.Arg> args = sig.bind(c, diags);
        if (args == null) return Value.ERROR;
        Map<String, Value> values = new LinkedHashMap<>();
        for (var e : args.entrySet()) {
            Value v = eval(scope, e.getValue().value());
            if (v instanceof Value.Error) return v;
            values.put(e.getKey(), v);
        }
        String instance = c.alias() != null ? c.alias().name() : scope.nextName(block.name());
        Scope inner = new Scope(scope.prefix + instance + ".", scope.depth + 1);
        for (Ast.Ident p : block.params()) {
            inner.names.put(p.name(), new Binding(values.get(p.name()), p.pos()));
        }
        Value result = null;
        for (Ast.Stmt s : block.body()) {
            g.at(s.pos());
            switch (s) {
                case Ast.Assign a -> bind(inner, a.name(), label(eval(inner, a.value()), a.name().name()));
                case Ast.Param p -> {
                    declareParam(inner, p);
                    poisonIfUnbound(inner, p.name());
                }
                case Ast.Return r -> {
                    if (result != null) {
                        diags.error(ErrorCode.BAD_DECLARATION, r.pos(), "block '" + block.name() + "' returns twice");
                    } else {
                        result = eval(inner, r.value());
                    }
                }
                default -> diags.error(ErrorCode.BAD_DECLARATION, s.pos(), "'" + keyword(s)
                        + "' is not allowed in a block (only assignments, 'param' and 'return')");
            }
        }
        if (result == null) {
            diags.error(ErrorCode.BAD_DECLARATION, block.pos(), "block '" + block.name() + "' has no 'return'");
            return Value.ERROR;
        }
        return result;
    }

    private static String keyword(Ast.Stmt s) {
        return switch (s) {
            case Ast.Input i -> "input";
            case Ast.Target t -> "target";
            case Ast.Output o -> "output";
            case Ast.Loss l -> "loss";
            case Ast.Optimizer o -> "optimizer";
            case Ast.Regularize r -> "regularize";
            default -> "statement";
        };
    }

    /** A fresh id for a dropout mask, stable across the two lowerings. */
    String nextDropoutId() {
        return "dropout_" + (++dropoutCount);
    }
}
