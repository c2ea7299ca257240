package dev.nnc.compiler.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.ir.Attrs;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import dev.nnc.compiler.ops.OpDef;
import dev.nnc.compiler.ops.Tensors;
import dev.nnc.compiler.reference.Interpreter;
import dev.nnc.templates.Templates;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Every op has every piece (docs/adding-an-op.md): the pieces an {@link OpDef} must implement
 * (the compiler enforces those), and here what a type cannot: its templates exist, a row-wise
 * skeleton names every operand, the shape rule agrees with the node the builder made, the
 * reference implementation gives known values, and the vector-Jacobian rule agrees with finite
 * differences of the reference implementation. A new op gets an example in {@link #example}: the
 * switch has no default, so it does not compile until it has one.
 */
class OpCoverageTest {

    /** An example application of {@code op} on small inputs, built in {@code g}. */
    static Node example(Op op, Graph g) {
        Node x = g.input("x", Shape.of(Shape.BATCH, 3), Node.Type.FLOAT);
        Node w = g.input("w", Shape.of(3, 4), Node.Type.FLOAT);
        Node b = g.input("b", Shape.of(3), Node.Type.FLOAT);
        Node labels = g.input("labels", Shape.of(Shape.BATCH), Node.Type.INT);
        return switch (op) {
            case INPUT -> x;
            case PARAM -> g.param("p", Shape.of(3, 4));
            case CONST -> g.perBatchConstant(3);
            case DROPOUT_MASK -> g.dropoutMask(Shape.of(Shape.BATCH, 3), 0.25, "m");
            case NEG, COPY, RELU, SIGMOID, SOFTPLUS, TANH, EXP, LOG, SQRT, STEP -> g.unary(op, x);
            case LEAKY_RELU, LEAKY_STEP -> g.unary(op, x, 0.1);
            case CLAMP_PROB, CLAMP_PROB_MASK -> g.unary(op, x, 0.05);
            case ADD, SUB, MUL, DIV -> g.binary(op, x, b);
            case BROADCAST -> g.broadcastTo(b, Shape.of(Shape.BATCH, 3));
            case RESHAPE -> g.reshape(x, Shape.of(Shape.BATCH, 3, 1));
            case SUM -> g.sum(x, new int[] {0});
            case MATMUL -> g.matmul(x, w, false, false);
            case SOFTMAX, LOG_SOFTMAX -> g.rowwise(op, x);
            case CROSS_ENTROPY -> g.crossEntropy(x, labels);
            case CROSS_ENTROPY_GRAD -> g.crossEntropyGrad(x, labels, g.constant(2));
            case TRANSPOSE -> g.transpose(w);
            case CONV2D -> g.node(op, CONV, image(g), filter(g));
            case CONV2D_INPUT_GRAD -> g.node(op, new Attrs.ConvGrad(CONV, image(g).shape()),
                    g.input("gy", Shape.of(Shape.BATCH, 3, 3, 3), Node.Type.FLOAT), filter(g));
            case CONV2D_WEIGHT_GRAD -> g.node(op, new Attrs.ConvGrad(CONV, filter(g).shape()), image(g),
                    g.input("gy", Shape.of(Shape.BATCH, 3, 3, 3), Node.Type.FLOAT));
            case MAX_POOL, AVG_POOL -> g.node(op, POOL, image(g));
            case MAX_POOL_GRAD -> g.node(op, POOL, image(g), g.input("gp", Shape.of(Shape.BATCH, 2, 3, 2), Node.Type.FLOAT));
            case AVG_POOL_GRAD -> g.node(op, new Attrs.PoolGrad(POOL, image(g).shape()),
                    g.input("gp", Shape.of(Shape.BATCH, 2, 3, 2), Node.Type.FLOAT));
            case LOOP -> loop(g);
            case LOOP_GRAD, LOOP_OUT -> {
                Node y = loop(g);
                Node[] d = Op.LOOP.def().vjp(g, y, g.input("gl", y.shape(), Node.Type.FLOAT));
                yield op == Op.LOOP_GRAD ? d[0] : d[3]; // d[3]: the recurrent weight's gradient
            }
            case TAKE_STEP -> g.node(op, new Attrs.Step(1, 3), g.input("seq", Shape.of(Shape.BATCH, 3, 2), Node.Type.FLOAT));
            case PUT_STEP -> g.node(op, new Attrs.Step(1, 3), g.input("st", Shape.of(Shape.BATCH, 2), Node.Type.FLOAT));
        };
    }

    /** An Elman RNN over [N, 3 steps, 2 features] with 3 hidden units: h_t = tanh(x_t·Aᵀ + h_{t-1}·Bᵀ + c). */
    static Node loop(Graph g) {
        Graph b = new Graph();
        Node xt = b.input("x_t", Shape.of(Shape.BATCH, 2), Node.Type.FLOAT);
        Node hp = b.input("h_prev", Shape.of(Shape.BATCH, 3), Node.Type.FLOAT);
        Node a = b.input("a", Shape.of(3, 2), Node.Type.FLOAT);
        Node r = b.input("r", Shape.of(3, 3), Node.Type.FLOAT);
        Node c = b.input("c", Shape.of(3), Node.Type.FLOAT);
        Node h = b.unary(Op.TANH, b.binary(Op.ADD, b.binary(Op.ADD, b.matmul(xt, a, false, true),
                b.matmul(hp, r, false, true)), c));
        dev.nnc.compiler.ir.Body body = new dev.nnc.compiler.ir.Body(b, List.of(xt), List.of(hp), List.of(a, r, c),
                List.of(h), List.of(h), 3);
        return g.node(Op.LOOP, new Attrs.Loop(body), g.input("seq", Shape.of(Shape.BATCH, 3, 2), Node.Type.FLOAT),
                g.input("h0", Shape.of(Shape.BATCH, 3), Node.Type.FLOAT), g.input("la", Shape.of(3, 2), Node.Type.FLOAT),
                g.input("lr", Shape.of(3, 3), Node.Type.FLOAT), g.input("lc", Shape.of(3), Node.Type.FLOAT));
    }

    /** Stride 2x1, padding 1 above and left only, dilation 1x2: [N, 2, 5, 4] by [3, 2, 2, 2] gives [N, 3, 3, 3]. */
    static final Attrs.Conv CONV = new Attrs.Conv(2, 1, 1, 0, 1, 0, 1, 2);
    /** A 2x2 window, stride 2x2, padding 1x0: [N, 2, 5, 4] gives [N, 2, 3, 2]. */
    static final Attrs.Pool POOL = new Attrs.Pool(2, 2, 2, 2, 1, 0);

    static Node image(Graph g) {
        return g.input("img", Shape.of(Shape.BATCH, 2, 5, 4), Node.Type.FLOAT);
    }

    static Node filter(Graph g) {
        return g.input("filt", Shape.of(3, 2, 2, 2), Node.Type.FLOAT);
    }

    /** Inputs where every op is smooth: away from 0 (relu's kink), positive (log, sqrt), inside (0.05, 0.95). */
    static Interpreter.Env env(Graph g, Random rnd, int batch) {
        Map<String, double[]> in = new HashMap<>();
        for (Node n : g.nodes()) {
            if (n.op() != Op.INPUT) continue;
            double[] v = new double[Tensors.size(n.shape(), batch)];
            for (int i = 0; i < v.length; i++) {
                v[i] = n.type() == Node.Type.INT ? rnd.nextInt(3) : 0.1 + 0.8 * rnd.nextDouble();
            }
            in.put(n.attrs(Attrs.Declared.class).name(), v);
        }
        Map<String, double[]> params = Map.of("p", new double[12]);
        return new Interpreter.Env(batch, in, params, (mask, element) -> element % 3 != 1);
    }

    @Test
    void everyOpHasTemplatesForItsKeysAndSkeletonOperands() {
        Templates jvm = Templates.backend("jvm");
        List<String> missing = new ArrayList<>();
        for (Op op : Op.values()) {
            Node n = example(op, new Graph());
            assertEquals(op, n.op(), "the example of " + op);
            for (String key : op.def().templateKeys()) {
                if (!jvm.hasScalar(key) && !jvm.hasSkeleton(key)) missing.add(op.key() + " (" + key + ")");
            }
            boolean skeleton = op.def().templateKeys().stream().anyMatch(jvm::hasSkeleton);
            if (skeleton && op.def().templateOperands().size() != n.inputs().size()) {
                missing.add(op.key() + " (names for " + n.inputs().size() + " operands)");
            }
            if (op.family() == Op.Family.ELEMENTWISE && op.def().templateKeys().isEmpty()) missing.add(op.key());
        }
        assertEquals(List.of(), missing, "ops without their jvm templates");
    }

    /**
     * Lane forms (jvm/vector.properties, the Simd loops) exist for the correctly rounded and exact
     * elementwise ops, and for the float exp, sigmoid and tanh whose scalar forms are the runtime's
     * FloatMath (built from such operations, repeated step for step by VectorLanes): a lane form of
     * Math's transcendentals (the Vector API's exp, log, tanh) rounds differently, and the lanes
     * must compute the scalar loop's bits.
     */
    @Test
    void laneFormsExistOnlyForCorrectlyRoundedOps() {
        Templates jvm = Templates.backend("jvm");
        for (String key : List.of("log", "softplus")) {
            for (String type : List.of("float", "double")) {
                assertFalse(jvm.hasVector(key, type), key + " must stay scalar");
            }
        }
        for (String key : List.of("exp", "tanh", "sigmoid")) {
            assertFalse(jvm.hasVector(key, "double"), key + " must stay scalar in double precision (Math's)");
            assertTrue(jvm.hasVector(key, "float"), key + " has a float lane form");
            Map<String, String> vars = Map.of("a", "x", "FloatMath", "FM", "cast", "(float) ");
            assertEquals("FM." + key + "(x)", jvm.scalar(key, "float", vars), "the float " + key + " is FloatMath's");
            assertTrue(jvm.scalar(key, "double", vars).contains("Math."), "the double " + key + " is Math's");
            assertEquals("VL." + key + "(x)", jvm.vector(key, "float", Map.of("a", "x", "VectorLanes", "VL")),
                    "its lanes are VectorLanes'");
        }
        for (String key : List.of("add", "sub", "mul", "div", "neg", "sqrt", "relu", "step", "leaky_relu", "leaky_step",
                "copy", "broadcast", "dropout_mask", "clamp_prob", "clamp_prob_mask")) {
            for (String type : List.of("float", "double")) {
                assertTrue(jvm.hasVector(key, type), key + " has a lane form");
            }
            assertTrue(jvm.hasScalar(key), key + " has a scalar form too");
        }
    }

    @Test
    void everyShapeRuleAgreesWithTheBuilderAndEveryReferenceHasTheShapesSize() {
        for (Op op : Op.values()) {
            Graph g = new Graph();
            Node n = example(op, g);
            assertEquals(n.shape(), op.def().shape(n.inputs(), n.attrs()), op.key());
            assertTrue(op.def().attrs().isInstance(n.attrs()), op.key());
            double[] v = Interpreter.value(n, env(g, new Random(1), 2));
            assertEquals(Tensors.size(n.shape(), 2), v.length, op.key());
            assertTrue(op.def().flops(n, 2) >= 0, op.key());
        }
    }

    @Test
    void referenceImplementationsGiveKnownValues() {
        Graph g = new Graph();
        Node x = g.input("x", Shape.of(Shape.BATCH, 3), Node.Type.FLOAT);
        Node w = g.input("w", Shape.of(3, 2), Node.Type.FLOAT);
        Node y = g.input("y", Shape.of(Shape.BATCH), Node.Type.INT);
        Interpreter.Env env = new Interpreter.Env(2, Map.of("x", new double[] {-1, 0, 2, 1, 1, 1},
                "w", new double[] {1, 2, 3, 4, 5, 6}, "y", new double[] {2, 0}), Map.of(), Interpreter.MaskRule.KEEP_ALL);
        assertArrayEquals(new double[] {0, 0, 2, 1, 1, 1}, Interpreter.value(g.unary(Op.RELU, x), env));
        assertArrayEquals(new double[] {-0.1, 0, 2, 1, 1, 1}, Interpreter.value(g.unary(Op.LEAKY_RELU, x, 0.1), env),
                1e-15);
        assertArrayEquals(new double[] {9, 10, 9, 12}, Interpreter.value(g.matmul(x, w, false, false), env));
        assertArrayEquals(new double[] {0, 1, 3}, Interpreter.value(g.sum(x, new int[] {0}), env));
        assertArrayEquals(new double[] {1, 3}, Interpreter.value(g.sum(x, new int[] {1}), env));
        double[] sm = Interpreter.value(g.rowwise(Op.SOFTMAX, x), env);
        assertArrayEquals(new double[] {1 / 3.0, 1 / 3.0, 1 / 3.0}, java.util.Arrays.copyOfRange(sm, 3, 6), 1e-15);
        double lse0 = Math.log(Math.exp(-1) + 1 + Math.exp(2));
        double ce = ((lse0 - 2) + Math.log(3)) / 2; // rows [-1, 0, 2] with label 2 and [1, 1, 1] with label 0
        assertEquals(ce, Interpreter.value(g.crossEntropy(x, y), env)[0], 1e-15);
        assertArrayEquals(new double[] {1, 3, 5, 2, 4, 6}, Interpreter.value(g.transpose(w), env));
    }

    /**
     * Each op's vector-Jacobian rule against central differences of its reference implementation:
     * L = Σ y·r for a random r, the rule's gradient for every float input, evaluated by the
     * interpreter, against (L(x + ε) - L(x - ε)) / 2ε for every element.
     */
    @Test
    void everyGradientRuleAgreesWithFiniteDifferencesOfTheReference() {
        List<String> bad = new ArrayList<>();
        int checked = 0;
        for (Op op : Op.values()) {
            Graph g = new Graph();
            Node y = example(op, g);
            Node r = g.input("r", y.shape(), Node.Type.FLOAT);
            Node[] dx = op.def().vjp(g, y, r);
            if (dx == null) continue; // sources, masks, derivatives: no gradient flows
            assertEquals(y.inputs().size(), dx.length, op.key() + ": one gradient per input");
            Interpreter.Env env = env(g, new Random(op.ordinal()), 2);
            double[] rv = env.inputs().get("r");
            for (int k = 0; k < dx.length; k++) {
                Node in = y.input(k);
                if (dx[k] == null) continue;
                assertEquals(in.shape(), dx[k].shape(), op.key() + ": gradient shape of input " + k);
                String name = in.attrs(Attrs.Declared.class).name();
                double[] analytic = Interpreter.value(dx[k], env);
                double[] x = env.inputs().get(name).clone();
                for (int i = 0; i < x.length; i++) {
                    double orig = x[i];
                    double eps = 1e-6;
                    x[i] = orig + eps;
                    double up = dot(Interpreter.value(y, with(env, name, x.clone())), rv);
                    x[i] = orig - eps;
                    double down = dot(Interpreter.value(y, with(env, name, x.clone())), rv);
                    x[i] = orig;
                    double numeric = (up - down) / (2 * eps);
                    double err = Math.abs(numeric - analytic[i]) / Math.max(1e-4, Math.abs(numeric) + Math.abs(analytic[i]));
                    if (err > 1e-6) bad.add(op.key() + " input " + k + "[" + i + "]: rule " + analytic[i] + ", numeric " + numeric);
                    checked++;
                }
            }
        }
        assertTrue(checked > 100, "checked only " + checked + " elements");
        assertEquals(List.of(), bad);
    }

    private static Interpreter.Env with(Interpreter.Env env, String name, double[] v) {
        Map<String, double[]> in = new HashMap<>(env.inputs());
        in.put(name, v);
        return new Interpreter.Env(env.batch(), in, env.params(), env.masks());
    }

    private static double dot(double[] a, double[] b) {
        assertNotNull(a);
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
