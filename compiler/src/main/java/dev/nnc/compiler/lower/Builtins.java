package dev.nnc.compiler.lower;

import dev.nnc.compiler.ast.Ast;
import dev.nnc.compiler.ast.Pos;
import dev.nnc.compiler.diag.ErrorCode;
import dev.nnc.compiler.ir.Attrs;
import dev.nnc.compiler.ir.Body;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.ModelIr;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import dev.nnc.compiler.ir.ShapeException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * The built-in operations, layers, losses, initializers, optimizers and regularizers of the
 * language: one table entry each, with its signature and its lowering to primitive ops.
 */
final class Builtins {
    private Builtins() {
    }

    /** Lowers one call whose arguments are already bound and evaluated. */
    @FunctionalInterface
    interface Lowerer {
        Value lower(Ctx c);
    }

    /** Everything a lowering needs: the model, the call, and its arguments by name. */
    record Ctx(ModelLowering m, ModelLowering.Scope scope, Ast.Call call, Map<String, Value> args,
            Map<String, Ast.Arg> raw) {
        Value arg(String name) {
            return args.get(name);
        }

        boolean has(String name) {
            return args.containsKey(name);
        }

        Pos pos(String name) {
            Ast.Arg a = raw.get(name);
            return a == null ? call.fn().pos() : a.pos();
        }

        String fn() {
            return call.fn().name();
        }

        /** A float tensor argument, or null after a diagnostic. */
        Node tensor(String name) {
            Node n = m.tensor(arg(name), pos(name), fn());
            if (n == null) return null;
            return m.floatTensor(new Value.Tensor(n), pos(name), fn());
        }

        /** A tensor argument of any element type. */
        Node anyTensor(String name) {
            return m.tensor(arg(name), pos(name), fn());
        }

        double number(String name, double dflt) {
            if (!has(name)) return dflt;
            if (arg(name) instanceof Value.Num n) return n.value();
            bad(name, "expected a number, got " + Value.describe(arg(name)));
            return Double.NaN;
        }

        /** An integer argument, or Integer.MIN_VALUE after a diagnostic. */
        int integer(String name, int dflt) {
            if (!has(name)) return dflt;
            if (arg(name) instanceof Value.Num n && n.value() == Math.rint(n.value())) {
                if (Math.abs(n.value()) < 1e9) return (int) n.value();
                bad(name, "expected an integer between -999999999 and 999999999, got " + Value.describe(n));
                return Integer.MIN_VALUE;
            }
            bad(name, "expected an integer, got " + Value.describe(arg(name)));
            return Integer.MIN_VALUE;
        }

        boolean bool(String name, boolean dflt) {
            if (!has(name)) return dflt;
            if (arg(name) instanceof Value.Bool b) return b.value();
            bad(name, "expected true or false, got " + Value.describe(arg(name)));
            return dflt;
        }

        void bad(String name, String what) {
            if (!(arg(name) instanceof Value.Error)) {
                m.diags.error(ErrorCode.BAD_ARGUMENT, pos(name), name, fn(), what);
            }
        }

        /** Runs a graph construction, turning a shape error into a diagnostic at the call. */
        Value build(java.util.function.Supplier<Node> f) {
            m.g.at(call.pos());
            try {
                Node n = f.get();
                if (m.tooLarge(n.shape(), call.fn().pos(), "the result " + n.shape() + " of '" + fn() + "'")) {
                    return Value.ERROR;
                }
                if (call.alias() != null && n.op() != Op.INPUT && n.op() != Op.PARAM) {
                    n.labelIfUnset(call.alias().name());
                }
                return new Value.Tensor(n);
            } catch (ShapeException e) {
                m.diags.error(ErrorCode.SHAPE_MISMATCH, call.fn().pos(), fn(), e.getMessage());
                return Value.ERROR;
            }
        }
    }

    private record Entry(Signature sig, Lowerer lowerer) {
    }

    private static final Map<String, Entry> OPS = new TreeMap<>();
    private static final Map<String, Signature> INITIALIZERS = new TreeMap<>();
    private static final Map<String, Signature> OPTIMIZERS = new TreeMap<>();

    private static void op(Lowerer l, String fn, String... params) {
        OPS.put(fn, new Entry(Signature.of(fn, params), l));
    }

    static {
        // layers
        op(Builtins::dense, "dense", "x", "units", "init?", "bias?", "bias_init?");
        op(Builtins::dropout, "dropout", "x", "rate");
        op(Builtins::conv2d, "conv2d", "x", "filters", "kernel", "stride?", "pad?", "dilation?", "bias?", "init?",
                "bias_init?");
        op(Builtins::rnn, "rnn", "x", "hidden", "return_sequences?", "init?", "recurrent_init?", "bias?");
        op(c -> pool(c, Op.MAX_POOL), "max_pool", "x", "size", "stride?", "pad?");
        op(c -> pool(c, Op.AVG_POOL), "avg_pool", "x", "size", "stride?", "pad?");
        // elementwise
        op(c -> unary(c, Op.RELU), "relu", "x");
        op(c -> unary(c, Op.SIGMOID), "sigmoid", "x");
        op(c -> unary(c, Op.TANH), "tanh", "x");
        op(c -> unary(c, Op.EXP), "exp", "x");
        op(c -> unary(c, Op.LOG), "log", "x");
        op(c -> unary(c, Op.SQRT), "sqrt", "x");
        op(Builtins::leakyRelu, "leaky_relu", "x", "alpha?");
        // row-wise
        op(c -> rowwise(c, Op.SOFTMAX), "softmax", "x", "axis?");
        op(c -> rowwise(c, Op.LOG_SOFTMAX), "log_softmax", "x", "axis?");
        // reductions and shapes
        op(c -> reduce(c, false), "sum", "x", "axis?");
        op(c -> reduce(c, true), "mean", "x", "axis?");
        op(Builtins::reshape, "reshape", "x", "shape");
        op(Builtins::flatten, "flatten", "x");
        op(Builtins::transpose, "transpose", "x");
        // losses (batch means)
        op(Builtins::crossEntropy, "cross_entropy", "logits", "target");
        op(Builtins::mse, "mse", "prediction", "target");
        op(Builtins::binaryCrossEntropy, "binary_cross_entropy", "prediction", "target");

        INITIALIZERS.put("zeros", Signature.of("zeros"));
        INITIALIZERS.put("ones", Signature.of("ones"));
        INITIALIZERS.put("constant", Signature.of("constant", "value"));
        INITIALIZERS.put("uniform", Signature.of("uniform", "lo", "hi"));
        INITIALIZERS.put("normal", Signature.of("normal", "std"));
        INITIALIZERS.put("xavier_uniform", Signature.of("xavier_uniform"));
        INITIALIZERS.put("xavier_normal", Signature.of("xavier_normal"));
        INITIALIZERS.put("he_normal", Signature.of("he_normal"));
        INITIALIZERS.put("he_uniform", Signature.of("he_uniform"));

        OPTIMIZERS.put("sgd", Signature.of("sgd", "lr", "momentum?", "nesterov?"));
        OPTIMIZERS.put("adam", Signature.of("adam", "lr?", "beta1?", "beta2?", "eps?"));
    }

    static boolean isBuiltin(String name) {
        return OPS.containsKey(name);
    }

    static boolean isInitializer(String name) {
        return INITIALIZERS.containsKey(name);
    }

    /** The closest known name within two edits, for "did you mean". */
    static String suggest(String name, Lowering owner) {
        List<String> known = new ArrayList<>(OPS.keySet());
        known.addAll(INITIALIZERS.keySet());
        String best = null;
        int bestDist = 3;
        for (String k : known) {
            int d = distance(name, k);
            if (d < bestDist) {
                bestDist = d;
                best = k;
            }
        }
        if (OPTIMIZERS.containsKey(name) || name.equals("l2")) {
            return null;
        }
        return best;
    }

    private static int distance(String a, String b) {
        int[] prev = IntStream.rangeClosed(0, b.length()).toArray();
        for (int i = 1; i <= a.length(); i++) {
            int[] cur = new int[b.length() + 1];
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            prev = cur;
        }
        return prev[b.length()];
    }

    /** Binds and evaluates the arguments, then lowers the call. */
    static Value apply(ModelLowering m, ModelLowering.Scope scope, Ast.Call call) {
        Entry e = OPS.get(call.fn().name());
        Map<String, Ast.Arg> raw = e.sig().bind(call, m.diags);
        if (raw == null) {
            call.args().forEach(a -> m.eval(scope, a.value()));
            return Value.ERROR;
        }
        Map<String, Value> args = new LinkedHashMap<>();
        boolean failed = false;
        for (var a : raw.entrySet()) {
            Value v = m.eval(scope, a.getValue().value());
            failed |= v instanceof Value.Error;
            args.put(a.getKey(), v);
        }
        if (failed) return Value.ERROR;
        int before = m.diags.errorCount();
        Value v = e.lowerer().lower(new Ctx(m, scope, call, args, raw));
        return m.diags.errorCount() > before ? Value.ERROR : v;
    }

    // ---- layers ----

    private static Value dense(Ctx c) {
        Node x = c.tensor("x");
        int units = c.integer("units", 0);
        ModelIr.Init init = c.has("init") ? initArg(c, "init") : new ModelIr.Init("xavier_uniform", new double[0]);
        ModelIr.Init biasInit = c.has("bias_init") ? initArg(c, "bias_init") : new ModelIr.Init("zeros", new double[0]);
        boolean bias = c.bool("bias", true);
        if (x == null || init == null || biasInit == null || units == Integer.MIN_VALUE) return Value.ERROR;
        if (units <= 0) {
            c.bad("units", "expected a positive integer, got " + units);
            return Value.ERROR;
        }
        if (x.shape().rank() != 2) {
            c.m.diags.error(ErrorCode.SHAPE_MISMATCH, c.call().fn().pos(), "dense",
                    "input must be 2-D [N, features], got " + x.shape() + " (use flatten first)");
            return Value.ERROR;
        }
        String name = c.scope().prefix + (c.call().alias() != null ? c.call().alias().name() : c.scope().nextName("dense"));
        Pos pos = c.call().fn().pos();
        Node w = c.m.newParam(c.scope(), name + ".weight", Shape.of(x.shape().dim(1), units), init, pos);
        Node b = bias ? c.m.newParam(c.scope(), name + ".bias", Shape.of(units), biasInit, pos) : null;
        if (w == null || (bias && b == null)) return Value.ERROR;
        return c.build(() -> {
            Node y = c.m.g.matmul(x, w, false, false);
            return b == null ? y : c.m.g.binary(Op.ADD, y, b);
        });
    }

    /**
     * {@code conv2d(x, filters, kernel, stride = 1, pad = 0, dilation = 1, bias = true, init, bias_init)}
     * on x [N, C, H, W]: a weight [filters, C, KH, KW] (PyTorch's layout) and a bias [filters];
     * {@code pad} is a number, a pair [top/bottom, left/right], "valid" (0) or "same" (the output
     * keeps H and W; stride 1 only).
     */
    private static Value conv2d(Ctx c) {
        Node x = c.tensor("x");
        int filters = c.integer("filters", 0);
        int[] k = pair(c, "kernel", 1, 1);
        int[] stride = pair(c, "stride", 1, 1);
        int[] dilation = pair(c, "dilation", 1, 1);
        ModelIr.Init init = c.has("init") ? initArg(c, "init") : new ModelIr.Init("xavier_uniform", new double[0]);
        ModelIr.Init biasInit = c.has("bias_init") ? initArg(c, "bias_init") : new ModelIr.Init("zeros", new double[0]);
        boolean bias = c.bool("bias", true);
        if (x == null || k == null || stride == null || dilation == null || init == null || biasInit == null
                || filters == Integer.MIN_VALUE) {
            return Value.ERROR;
        }
        if (filters <= 0) {
            c.bad("filters", "expected a positive integer, got " + filters);
            return Value.ERROR;
        }
        if (x.shape().rank() != 4) {
            c.m.diags.error(ErrorCode.SHAPE_MISMATCH, c.call().fn().pos(), "conv2d",
                    "input must be 4-D [N, C, H, W], got " + x.shape() + " (reshape it first)");
            return Value.ERROR;
        }
        int[] pad = convPad(c, k, stride, dilation);
        if (pad == null) return Value.ERROR;
        String name = c.scope().prefix + (c.call().alias() != null ? c.call().alias().name() : c.scope().nextName("conv2d"));
        Pos pos = c.call().fn().pos();
        Shape wShape = Shape.of(filters, x.shape().dim(1), k[0], k[1]);
        Attrs.Conv attrs = new Attrs.Conv(stride[0], stride[1], pad[0], pad[1], pad[2], pad[3], dilation[0], dilation[1]);
        try {
            dev.nnc.compiler.ops.Convolutions.outShape(x.shape(), wShape, attrs); // before creating parameters
        } catch (ShapeException e) {
            c.m.diags.error(ErrorCode.SHAPE_MISMATCH, pos, "conv2d", e.getMessage());
            return Value.ERROR;
        }
        Node w = c.m.newParam(c.scope(), name + ".weight", wShape, init, pos, true);
        Node b = bias ? c.m.newParam(c.scope(), name + ".bias", Shape.of(filters), biasInit, pos) : null;
        if (w == null || (bias && b == null)) return Value.ERROR;
        return c.build(() -> {
            Node y = c.m.g.node(Op.CONV2D, attrs, x, w);
            return b == null ? y : c.m.g.binary(Op.ADD, y, c.m.g.reshape(b, Shape.of(filters, 1, 1)));
        });
    }

    /** {top, bottom, left, right} padding of a convolution: a number, a pair, "valid" or "same". */
    private static int[] convPad(Ctx c, int[] k, int[] stride, int[] dilation) {
        if (c.arg("pad") instanceof Value.Str s) {
            switch (s.value()) {
                case "valid" -> {
                    return new int[4];
                }
                case "same" -> {
                    if (stride[0] != 1 || stride[1] != 1) {
                        c.bad("pad", "\"same\" needs stride 1, got stride " + stride[0] + "x" + stride[1]);
                        return null;
                    }
                    int th = dilation[0] * (k[0] - 1);
                    int tw = dilation[1] * (k[1] - 1);
                    return new int[] {th / 2, th - th / 2, tw / 2, tw - tw / 2};
                }
                default -> {
                    c.bad("pad", "expected a number, a pair, \"same\" or \"valid\", got \"" + s.value() + "\"");
                    return null;
                }
            }
        }
        int[] p = pair(c, "pad", 0, 0);
        return p == null ? null : new int[] {p[0], p[0], p[1], p[1]};
    }

    /**
     * {@code rnn(x, hidden, return_sequences = true, init, recurrent_init, bias = true)}: an Elman
     * RNN over x [N, T, F], {@code h_t = tanh(x_t · W_ihᵀ + b_ih + h_{t-1} · W_hhᵀ + b_hh)} from
     * h_0 = 0, with PyTorch's parameters ({@code weight_ih [H, F]}, {@code weight_hh [H, H]},
     * {@code bias_ih}, {@code bias_hh}). The step is the body of one LOOP over t; the result is
     * every h_t [N, T, H], or the last [N, H].
     */
    private static Value rnn(Ctx c) {
        Node x = c.tensor("x");
        int hidden = c.integer("hidden", 0);
        boolean sequences = c.bool("return_sequences", true);
        boolean bias = c.bool("bias", true);
        ModelIr.Init init = c.has("init") ? initArg(c, "init") : new ModelIr.Init("xavier_uniform", new double[0]);
        ModelIr.Init recurrent = c.has("recurrent_init") ? initArg(c, "recurrent_init")
                : new ModelIr.Init("xavier_uniform", new double[0]);
        if (x == null || init == null || recurrent == null || hidden == Integer.MIN_VALUE) return Value.ERROR;
        if (hidden <= 0) {
            c.bad("hidden", "expected a positive integer, got " + hidden);
            return Value.ERROR;
        }
        if (x.shape().rank() != 3 || !x.shape().batched() || x.shape().dim(0) != Shape.BATCH) {
            c.m.diags.error(ErrorCode.SHAPE_MISMATCH, c.call().fn().pos(), "rnn",
                    "input must be 3-D [N, T, features], got " + x.shape());
            return Value.ERROR;
        }
        int steps = x.shape().dim(1);
        int features = x.shape().dim(2);
        String name = c.scope().prefix + (c.call().alias() != null ? c.call().alias().name() : c.scope().nextName("rnn"));
        Pos pos = c.call().fn().pos();
        ModelIr.Init zeros = new ModelIr.Init("zeros", new double[0]);
        Node wih = c.m.newParam(c.scope(), name + ".weight_ih", Shape.of(hidden, features), init, pos, true);
        Node whh = c.m.newParam(c.scope(), name + ".weight_hh", Shape.of(hidden, hidden), recurrent, pos, true);
        Node bih = bias ? c.m.newParam(c.scope(), name + ".bias_ih", Shape.of(hidden), zeros, pos) : null;
        Node bhh = bias ? c.m.newParam(c.scope(), name + ".bias_hh", Shape.of(hidden), zeros, pos) : null;
        if (wih == null || whh == null || bias && (bih == null || bhh == null)) return Value.ERROR;
        // the step, as a graph of its own
        Graph g = new Graph();
        g.at(c.call().pos());
        Node xt = g.input("x_t", Shape.of(Shape.BATCH, features), Node.Type.FLOAT);
        Node hp = g.input("h_prev", Shape.of(Shape.BATCH, hidden), Node.Type.FLOAT);
        Node wi = g.input("weight_ih", wih.shape(), Node.Type.FLOAT);
        Node wh = g.input("weight_hh", whh.shape(), Node.Type.FLOAT);
        List<Node> invariants = new ArrayList<>(List.of(wi, wh));
        Node pre = g.binary(Op.ADD, g.matmul(xt, wi, false, true), g.matmul(hp, wh, false, true));
        if (bias) {
            Node bi = g.input("bias_ih", bih.shape(), Node.Type.FLOAT);
            Node bh = g.input("bias_hh", bhh.shape(), Node.Type.FLOAT);
            invariants.add(bi);
            invariants.add(bh);
            pre = g.binary(Op.ADD, g.binary(Op.ADD, pre, bi), bh);
        }
        Node h = g.unary(Op.TANH, pre);
        h.labelIfUnset("h");
        Body body = new Body(g, List.of(xt), List.of(hp), invariants, List.of(h), List.of(h), steps);
        return c.build(() -> {
            Node h0 = c.m.g.broadcastTo(c.m.g.constant(0), Shape.of(Shape.BATCH, hidden));
            List<Node> ins = new ArrayList<>(List.of(x, h0, wih, whh));
            if (bias) {
                ins.add(bih);
                ins.add(bhh);
            }
            Node y = c.m.g.node(Op.LOOP, new Attrs.Loop(body), ins.toArray(Node[]::new));
            return sequences ? y : c.m.g.node(Op.TAKE_STEP, new Attrs.Step(steps - 1, steps), y);
        });
    }

    /** {@code max_pool(x, size, stride = size, pad = 0)} and {@code avg_pool}, on x [N, C, H, W]. */
    private static Value pool(Ctx c, Op op) {
        Node x = c.tensor("x");
        int[] size = pair(c, "size", 1, 1);
        if (x == null || size == null) return Value.ERROR;
        int[] stride = pair(c, "stride", size[0], size[1]);
        int[] pad = pair(c, "pad", 0, 0);
        if (stride == null || pad == null) return Value.ERROR;
        if (x.shape().rank() != 4) {
            c.m.diags.error(ErrorCode.SHAPE_MISMATCH, c.call().fn().pos(), c.fn(),
                    "input must be 4-D [N, C, H, W], got " + x.shape());
            return Value.ERROR;
        }
        Attrs.Pool p = new Attrs.Pool(size[0], size[1], stride[0], stride[1], pad[0], pad[1]);
        return c.build(() -> c.m.g.node(op, p, x));
    }

    /**
     * An argument that is one integer or a pair [vertical, horizontal], each at least {@code min}
     * (1 for sizes, strides and dilations, 0 for padding); the defaults when absent; null after a diagnostic.
     */
    private static int[] pair(Ctx c, String name, int dflt0, int dflt1) {
        if (!c.has(name)) return new int[] {dflt0, dflt1};
        int min = name.equals("pad") ? 0 : 1;
        List<Value> items = c.arg(name) instanceof Value.ListV l ? l.items() : List.of(c.arg(name));
        if (items.size() != 1 && items.size() != 2) {
            c.bad(name, "expected a number or a pair [vertical, horizontal]");
            return null;
        }
        int[] out = new int[2];
        for (int i = 0; i < items.size(); i++) {
            if (!(items.get(i) instanceof Value.Num n) || n.value() != Math.rint(n.value())) {
                c.bad(name, "expected an integer or a pair of integers, got " + Value.describe(items.get(i)));
                return null;
            }
            if (n.value() < min || n.value() > 65536) {
                c.bad(name, "expected " + (min == 0 ? "0" : "1") + " to 65536, got " + Value.describe(n));
                return null;
            }
            out[i] = (int) n.value();
        }
        if (items.size() == 1) out[1] = out[0];
        return out;
    }

    private static ModelIr.Init initArg(Ctx c, String name) {
        if (c.arg(name) instanceof Value.InitV i) return i.init();
        c.bad(name, "expected an initializer (zeros, ones, constant(v), uniform(lo, hi), normal(std), "
                + "xavier_uniform, xavier_normal, he_normal, he_uniform), got " + Value.describe(c.arg(name)));
        return null;
    }

    private static Value dropout(Ctx c) {
        Node x = c.tensor("x");
        double rate = c.number("rate", 0);
        if (x == null || Double.isNaN(rate)) return Value.ERROR;
        if (!(rate >= 0 && rate < 1)) {
            c.bad("rate", "expected a probability in [0, 1), got " + rate);
            return Value.ERROR;
        }
        String id = c.m.nextDropoutId();
        if (!c.m.training || rate == 0) return new Value.Tensor(x);
        return c.build(() -> c.m.g.binary(Op.MUL, x, c.m.g.dropoutMask(x.shape(), rate, id)));
    }

    // ---- elementwise and row-wise ----

    private static Value unary(Ctx c, Op op) {
        Node x = c.tensor("x");
        return x == null ? Value.ERROR : c.build(() -> c.m.g.unary(op, x));
    }

    private static Value leakyRelu(Ctx c) {
        Node x = c.tensor("x");
        double alpha = c.number("alpha", 0.01);
        return x == null || Double.isNaN(alpha) ? Value.ERROR : c.build(() -> c.m.g.unary(Op.LEAKY_RELU, x, alpha));
    }

    private static Value rowwise(Ctx c, Op op) {
        Node x = c.tensor("x");
        if (x == null) return Value.ERROR;
        int axis = c.integer("axis", -1);
        if (axis == Integer.MIN_VALUE) return Value.ERROR;
        int rank = x.shape().rank();
        if (rank > 0 && axis != -1 && axis != rank - 1) {
            c.bad("axis", "only the last axis (-1) is supported, got " + axis);
            return Value.ERROR;
        }
        return c.build(() -> c.m.g.rowwise(op, x));
    }

    // ---- reductions and shapes ----

    private static Value reduce(Ctx c, boolean mean) {
        Node x = c.tensor("x");
        if (x == null) return Value.ERROR;
        int[] axes = axes(c, x.shape().rank());
        if (axes == null) return Value.ERROR;
        return c.build(() -> {
            Node s = c.m.g.sum(x, axes);
            if (!mean) return s;
            int count = 1;
            boolean batch = false;
            for (int a : axes) {
                if (x.shape().dim(a) == Shape.BATCH) batch = true;
                else count *= x.shape().dim(a);
            }
            Node scale = batch ? c.m.g.perBatchConstant(1.0 / count) : c.m.g.constant(1.0 / count);
            return c.m.g.binary(Op.MUL, s, scale);
        });
    }

    /** The axis argument as sorted, distinct, non-negative axes; all axes when absent. */
    private static int[] axes(Ctx c, int rank) {
        if (!c.has("axis")) return IntStream.range(0, rank).toArray();
        List<Value> items = c.arg("axis") instanceof Value.ListV l ? l.items() : List.of(c.arg("axis"));
        int[] out = new int[items.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(items.get(i) instanceof Value.Num n) || !n.integral() && n.value() != Math.rint(n.value())) {
                c.bad("axis", "expected an integer or a list of integers");
                return null;
            }
            int a = (int) n.value();
            if (a < -rank || a >= rank) {
                c.bad("axis", "axis " + a + " is out of range for a tensor of rank " + rank);
                return null;
            }
            out[i] = a < 0 ? a + rank : a;
        }
        int[] sorted = IntStream.of(out).sorted().distinct().toArray();
        if (sorted.length != out.length) {
            c.bad("axis", "an axis is listed twice");
            return null;
        }
        return sorted;
    }

    private static Value reshape(Ctx c) {
        Node x = c.anyTensor("x");
        if (x == null) return Value.ERROR;
        if (!(c.arg("shape") instanceof Value.ListV list) || list.items().isEmpty()) {
            c.bad("shape", "expected a list of dimensions like [-1, 10]");
            return Value.ERROR;
        }
        int[] dims = new int[list.items().size()];
        int infer = -1;
        long known = 1;
        for (int i = 0; i < dims.length; i++) {
            if (!(list.items().get(i) instanceof Value.Num n) || !n.integral() && n.value() != -1) {
                c.bad("shape", "dimension " + (i + 1) + " is not an integer");
                return Value.ERROR;
            }
            int d = (int) n.value();
            if (d == -1) {
                if (infer >= 0) {
                    c.bad("shape", "only one dimension may be -1");
                    return Value.ERROR;
                }
                infer = i;
            } else if (d <= 0) {
                c.bad("shape", "dimension " + (i + 1) + " must be positive or -1, got " + d);
                return Value.ERROR;
            } else {
                known *= d;
            }
            dims[i] = d;
        }
        Shape in = x.shape();
        if (in.batched()) {
            if (infer != 0 || known != in.staticSize()) {
                c.bad("shape", "a batched tensor " + in + " keeps N first: write [-1, ...] with the other dimensions "
                        + "multiplying to " + in.staticSize());
                return Value.ERROR;
            }
            dims[0] = Shape.BATCH;
        } else if (infer >= 0) {
            if (in.staticSize() % known != 0) {
                c.bad("shape", "cannot reshape " + in + " to " + List.of(list.items().size()) + " dims: "
                        + in.staticSize() + " elements are not a multiple of " + known);
                return Value.ERROR;
            }
            dims[infer] = (int) (in.staticSize() / known);
        }
        return c.build(() -> c.m.g.reshape(x, new Shape(dims)));
    }

    private static Value flatten(Ctx c) {
        Node x = c.anyTensor("x");
        if (x == null) return Value.ERROR;
        Shape s = x.shape();
        Shape target = s.batched() ? Shape.of(Shape.BATCH, s.staticSize()) : Shape.of(s.staticSize());
        return c.build(() -> c.m.g.reshape(x, target));
    }

    private static Value transpose(Ctx c) {
        Node x = c.tensor("x");
        return x == null ? Value.ERROR : c.build(() -> c.m.g.transpose(x));
    }

    // ---- losses ----

    private static Value crossEntropy(Ctx c) {
        Node logits = c.tensor("logits");
        Node target = c.anyTensor("target");
        if (logits == null || target == null) return Value.ERROR;
        if (target.type() == Node.Type.INT) {
            return c.build(() -> c.m.g.crossEntropy(logits, target));
        }
        // probabilities or one-hot rows: -sum(t * log_softmax(logits)) / rows
        return c.build(() -> {
            if (!logits.shape().equals(target.shape()) || logits.shape().rank() != 2) {
                throw new ShapeException("float targets must have the shape of the 2-D logits: logits "
                        + logits.shape() + ", target " + target.shape());
            }
            Node ls = c.m.g.rowwise(Op.LOG_SOFTMAX, logits);
            Node total = c.m.g.sum(c.m.g.binary(Op.MUL, target, ls), new int[] {0, 1});
            return c.m.g.binary(Op.MUL, total, rowScale(c, logits.shape(), -1));
        });
    }

    /** {@code sign / rows}, rows being the batch size n when the tensor is batched. */
    private static Node rowScale(Ctx c, Shape s, double sign) {
        return s.dim(0) == Shape.BATCH ? c.m.g.perBatchConstant(sign) : c.m.g.constant(sign / s.dim(0));
    }

    private static Value mse(Ctx c) {
        Node p = c.tensor("prediction");
        Node t = c.tensor("target");
        if (p == null || t == null) return Value.ERROR;
        return c.build(() -> {
            if (!p.shape().equals(t.shape())) {
                throw new ShapeException("prediction " + p.shape() + " and target " + t.shape() + " differ");
            }
            Node d = c.m.g.binary(Op.SUB, p, t);
            int[] all = IntStream.range(0, p.shape().rank()).toArray();
            Node total = c.m.g.sum(c.m.g.binary(Op.MUL, d, d), all);
            Node scale = p.shape().batched() ? c.m.g.perBatchConstant(1.0 / p.shape().staticSize())
                    : c.m.g.constant(1.0 / p.shape().staticSize());
            return c.m.g.binary(Op.MUL, total, scale);
        });
    }

    private static Value binaryCrossEntropy(Ctx c) {
        Node p = c.tensor("prediction");
        Node t = c.tensor("target");
        if (p == null || t == null) return Value.ERROR;
        // mean of -(t·log q + (1-t)·log(1-q)), q = p kept in [1e-7, 1-1e-7]
        return c.build(() -> {
            var g = c.m.g;
            if (!p.shape().equals(t.shape())) {
                throw new ShapeException("prediction " + p.shape() + " and target " + t.shape() + " differ");
            }
            Node q = g.unary(Op.CLAMP_PROB, p, 1e-7);
            Node one = g.constant(1);
            Node term = g.binary(Op.ADD, g.binary(Op.MUL, t, g.unary(Op.LOG, q)),
                    g.binary(Op.MUL, g.binary(Op.SUB, one, t), g.unary(Op.LOG, g.binary(Op.SUB, one, q))));
            int[] all = IntStream.range(0, p.shape().rank()).toArray();
            Node total = g.sum(term, all);
            Node scale = p.shape().batched() ? g.perBatchConstant(-1.0 / p.shape().staticSize())
                    : g.constant(-1.0 / p.shape().staticSize());
            return g.binary(Op.MUL, total, scale);
        });
    }

    // ---- initializers, optimizers, regularizers ----

    /** Evaluates an initializer expression: a name like he_normal or a call like normal(0.01). */
    static ModelIr.Init initializer(ModelLowering m, ModelLowering.Scope scope, Ast.Expr e) {
        if (e instanceof Ast.Name n && isInitializer(n.name())) {
            Signature sig = INITIALIZERS.get(n.name());
            if (sig.required() > 0) {
                m.diags.error(ErrorCode.MISSING_ARGUMENT, n.pos(), n.name(), sig.names().getFirst());
                return null;
            }
            return new ModelIr.Init(n.name(), new double[0]);
        }
        if (e instanceof Ast.Call call && isInitializer(call.fn().name())) {
            Signature sig = INITIALIZERS.get(call.fn().name());
            Map<String, Ast.Arg> raw = sig.bind(call, m.diags);
            if (raw == null) return null;
            double[] values = new double[sig.names().size()];
            for (int i = 0; i < values.length; i++) {
                Ast.Arg a = raw.get(sig.names().get(i));
                Value v = m.eval(scope, a.value());
                if (!(v instanceof Value.Num num)) {
                    if (!(v instanceof Value.Error)) {
                        m.diags.error(ErrorCode.BAD_ARGUMENT, a.pos(), sig.names().get(i), call.fn().name(),
                                "expected a number, got " + Value.describe(v));
                    }
                    return null;
                }
                values[i] = num.value();
            }
            if (call.fn().name().equals("normal") && !(values[0] > 0)) {
                m.diags.error(ErrorCode.BAD_ARGUMENT, call.pos(), "std", "normal", "must be positive");
                return null;
            }
            if (call.fn().name().equals("uniform") && !(values[0] < values[1])) {
                m.diags.error(ErrorCode.BAD_ARGUMENT, call.pos(), "lo", "uniform", "must be less than hi");
                return null;
            }
            return new ModelIr.Init(call.fn().name(), values);
        }
        Value v = m.eval(scope, e);
        if (v instanceof Value.InitV i) return i.init();
        if (!(v instanceof Value.Error)) {
            m.diags.error(ErrorCode.BAD_ARGUMENT, e.pos(), "initializer", "param",
                    "expected an initializer such as zeros or xavier_uniform, got " + Value.describe(v));
        }
        return null;
    }

    static ModelIr.Optimizer defaultOptimizer() {
        return new ModelIr.Optimizer("sgd", Map.of("lr", 0.01, "momentum", 0.0, "nesterov", 0.0), 0);
    }

    static ModelIr.Optimizer optimizer(ModelLowering m, Ast.Call call) {
        String fn = call.fn().name();
        Signature sig = OPTIMIZERS.get(fn);
        if (sig == null) {
            m.diags.error(ErrorCode.UNKNOWN_OP, call.fn().pos(), fn, " (expected an optimizer: sgd or adam)");
            return null;
        }
        Map<String, Ast.Arg> raw = sig.bind(call, m.diags);
        if (raw == null) return null;
        Map<String, Double> defaults = fn.equals("sgd")
                ? Map.of("momentum", 0.0, "nesterov", 0.0)
                : Map.of("lr", 1e-3, "beta1", 0.9, "beta2", 0.999, "eps", 1e-8);
        Map<String, Double> args = new TreeMap<>(defaults);
        ModelLowering.Scope none = new ModelLowering.Scope("", 0);
        for (var e : raw.entrySet()) {
            Value v = m.eval(none, e.getValue().value());
            double d;
            if (v instanceof Value.Error) {
                return null; // already reported
            } else if (e.getKey().equals("nesterov")) {
                if (!(v instanceof Value.Bool b)) {
                    m.diags.error(ErrorCode.BAD_ARGUMENT, e.getValue().pos(), "nesterov", fn, "expected true or false");
                    return null;
                }
                d = b.value() ? 1 : 0;
            } else if (v instanceof Value.Num n) {
                d = n.value();
            } else {
                m.diags.error(ErrorCode.BAD_ARGUMENT, e.getValue().pos(), e.getKey(), fn, "expected a number");
                return null;
            }
            String problem = switch (e.getKey()) {
                case "lr", "eps" -> d > 0 ? null : "must be positive";
                case "momentum", "beta1", "beta2" -> d >= 0 && d < 1 ? null : "must be in [0, 1)";
                default -> null;
            };
            if (problem != null) {
                m.diags.error(ErrorCode.BAD_ARGUMENT, e.getValue().pos(), e.getKey(), fn, problem + ", got " + d);
                return null;
            }
            args.put(e.getKey(), d);
        }
        return new ModelIr.Optimizer(fn, args, 0);
    }

    static double regularizer(ModelLowering m, Ast.Call call) {
        if (!call.fn().name().equals("l2")) {
            m.diags.error(ErrorCode.UNKNOWN_OP, call.fn().pos(), call.fn().name(), " (expected a regularizer: l2)");
            return 0;
        }
        Map<String, Ast.Arg> raw = Signature.of("l2", "lambda").bind(call, m.diags);
        if (raw == null) return 0;
        Value v = m.eval(new ModelLowering.Scope("", 0), raw.get("lambda").value());
        if (v instanceof Value.Error) return 0; // already reported
        if (!(v instanceof Value.Num n) || n.value() < 0) {
            m.diags.error(ErrorCode.BAD_ARGUMENT, raw.get("lambda").pos(), "lambda", "l2",
                    "expected a non-negative number");
            return 0;
        }
        return n.value();
    }
}
