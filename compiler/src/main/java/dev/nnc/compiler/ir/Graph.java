package dev.nnc.compiler.ir;

import dev.nnc.compiler.ast.Pos;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The IR graph and its builder. Every op's shape rule lives in the builder method that creates it.
 * Nodes are hash-consed: asking twice for the same op on the same inputs returns the same node,
 * which is common-subexpression elimination at construction time.
 */
public final class Graph {
    private final List<Node> nodes = new ArrayList<>();
    private final Map<List<Object>, Node> unique = new HashMap<>();
    private Pos pos = Pos.NONE;
    private boolean backward;

    public List<Node> nodes() {
        return List.copyOf(nodes);
    }

    /** Source position stamped on the nodes created next. */
    public void at(Pos p) {
        this.pos = p;
    }

    /** Whether the nodes created next belong to the backward pass. */
    public void backward(boolean b) {
        this.backward = b;
    }

    private Node make(Op op, List<Node> inputs, Shape shape, Node.Type type, Node.Attrs attrs) {
        List<Object> key = new ArrayList<>();
        key.add(op);
        key.add(attrs);
        for (Node in : inputs) key.add(in.id());
        Node existing = unique.get(key);
        if (existing != null) return existing;
        Node n = new Node(nodes.size(), op, inputs, shape, type, attrs, pos, backward, null);
        nodes.add(n);
        unique.put(key, n);
        return n;
    }

    private static Node.Attrs attrs(double v, int[] ints, boolean a, boolean b, String name) {
        return new Node.Attrs(v, ints, a, b, name);
    }

    /**
     * The same op with the same attributes over new inputs (of the same shapes), keeping the old
     * node's position, label and pass; used by passes that rebuild a graph.
     */
    public Node rebuild(Node n, List<Node> inputs) {
        Pos savedPos = pos;
        boolean savedBackward = backward;
        pos = n.pos();
        backward = n.backward();
        try {
            Node r = make(n.op(), inputs, n.shape(), n.type(), n.attrs());
            if (n.label() != null) r.labelIfUnset(n.label());
            return r;
        } finally {
            pos = savedPos;
            backward = savedBackward;
        }
    }

    // ---- sources ----

    public Node input(String name, Shape shape, Node.Type type) {
        return make(Op.INPUT, List.of(), shape, type, attrs(0, new int[0], false, false, name));
    }

    public Node param(String name, Shape shape) {
        return make(Op.PARAM, List.of(), shape, Node.Type.FLOAT, attrs(0, new int[0], false, false, name));
    }

    public Node constant(double value) {
        return make(Op.CONST, List.of(), Shape.SCALAR, Node.Type.FLOAT, attrs(value, new int[0], false, false, null));
    }

    /** The scalar {@code value / n}, n being the runtime batch size. */
    public Node perBatchConstant(double value) {
        return make(Op.CONST, List.of(), Shape.SCALAR, Node.Type.FLOAT, attrs(value, new int[0], true, false, null));
    }

    public Node dropoutMask(Shape shape, double rate, String id) {
        return make(Op.DROPOUT_MASK, List.of(), shape, Node.Type.FLOAT, attrs(rate, new int[0], false, false, id));
    }

    // ---- elementwise ----

    public Node unary(Op op, Node x) {
        return unary(op, x, 0);
    }

    /** A one-input elementwise op; {@code value} is leaky_relu's alpha. */
    public Node unary(Op op, Node x, double value) {
        requireFloat(op, x);
        if (op.family() != Op.Family.ELEMENTWISE) throw new IllegalArgumentException(op + " is not elementwise");
        return make(op, List.of(x), x.shape(), Node.Type.FLOAT, attrs(value, new int[0], false, false, null));
    }

    /** A two-input elementwise op with NumPy broadcasting; folds the identities x*1, x+0, x-0, x/1. */
    public Node binary(Op op, Node a, Node b) {
        requireFloat(op, a);
        requireFloat(op, b);
        boolean rightIdentity = ((op == Op.ADD || op == Op.SUB) && isConst(b, 0))
                || ((op == Op.MUL || op == Op.DIV) && isConst(b, 1));
        if (rightIdentity && broadcastShape(op, a.shape(), b.shape()).equals(a.shape())) return a;
        boolean leftIdentity = (op == Op.ADD && isConst(a, 0)) || (op == Op.MUL && isConst(a, 1));
        if (leftIdentity && broadcastShape(op, a.shape(), b.shape()).equals(b.shape())) return b;
        if (a.op() == Op.CONST && b.op() == Op.CONST && !a.attrs().flagA() && !b.attrs().flagA()) {
            double x = a.attrs().value(), y = b.attrs().value();
            return constant(switch (op) {
                case ADD -> x + y;
                case SUB -> x - y;
                case MUL -> x * y;
                case DIV -> x / y;
                default -> throw new IllegalArgumentException(op.toString());
            });
        }
        Shape out = broadcastShape(op, a.shape(), b.shape());
        return make(op, List.of(a, b), out, Node.Type.FLOAT, Node.Attrs.NONE);
    }

    private static boolean isConst(Node n, double v) {
        return n.op() == Op.CONST && !n.attrs().flagA() && n.attrs().value() == v;
    }

    /** NumPy broadcasting: dimensions aligned right, equal or 1. */
    public static Shape broadcastShape(Op op, Shape a, Shape b) {
        int rank = Math.max(a.rank(), b.rank());
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i - (rank - a.rank()) >= 0 ? a.dim(i - (rank - a.rank())) : 1;
            int db = i - (rank - b.rank()) >= 0 ? b.dim(i - (rank - b.rank())) : 1;
            if (da == db || db == 1) {
                out[i] = da;
            } else if (da == 1) {
                out[i] = db;
            } else {
                throw new ShapeException("cannot broadcast " + a + " with " + b);
            }
        }
        Shape s = new Shape(out);
        checkBatchFirst(s, op.key());
        return s;
    }

    private static void checkBatchFirst(Shape s, String what) {
        for (int i = 1; i < s.rank(); i++) {
            if (s.dim(i) == Shape.BATCH) {
                throw new ShapeException(what + " would put the batch dimension N at position " + i + " of " + s
                        + "; N must stay the first dimension");
            }
        }
    }

    // ---- data movement ----

    public Node broadcastTo(Node x, Shape target) {
        if (x.shape().equals(target)) return x;
        Shape check = broadcastShape(Op.BROADCAST, x.shape(), target);
        if (!check.equals(target)) throw new ShapeException("cannot broadcast " + x.shape() + " to " + target);
        return make(Op.BROADCAST, List.of(x), target, x.type(), attrs(0, target.dims(), false, false, null));
    }

    public Node reshape(Node x, Shape target) {
        if (x.shape().equals(target)) return x;
        if (x.shape().batched() != target.batched()
                || x.shape().staticSize() != target.staticSize()) {
            throw new ShapeException("cannot reshape " + x.shape() + " (" + sizeText(x.shape()) + " elements) to "
                    + target + " (" + sizeText(target) + " elements)");
        }
        checkBatchFirst(target, "reshape");
        Node src = x.op() == Op.RESHAPE ? x.input(0) : x; // reshape of reshape is one reshape
        if (src.shape().equals(target)) return src;
        return make(Op.RESHAPE, List.of(src), target, x.type(), attrs(0, target.dims(), false, false, null));
    }

    private static String sizeText(Shape s) {
        return s.sizeExpr("N");
    }

    // ---- reductions ----

    /** Sums over {@code axes} (already normalized, ascending, distinct); they are removed from the shape. */
    public Node sum(Node x, int[] axes) {
        requireFloat(Op.SUM, x);
        if (axes.length == 0) return x;
        int[] dims = x.shape().dims();
        List<Integer> keep = new ArrayList<>();
        for (int i = 0; i < dims.length; i++) {
            if (Arrays.binarySearch(axes, i) < 0) keep.add(dims[i]);
        }
        Shape out = new Shape(keep.stream().mapToInt(Integer::intValue).toArray());
        return make(Op.SUM, List.of(x), out, Node.Type.FLOAT, attrs(0, axes.clone(), false, false, null));
    }

    /** Sums a broadcast result back down to {@code target} (the adjoint of broadcasting). */
    public Node sumTo(Node x, Shape target) {
        if (x.shape().equals(target)) return x;
        int rank = x.shape().rank();
        int lead = rank - target.rank();
        List<Integer> axes = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            int t = i - lead;
            if (t < 0 || (target.dim(t) == 1 && x.shape().dim(i) != 1)) axes.add(i);
        }
        Node s = sum(x, axes.stream().mapToInt(Integer::intValue).toArray());
        return reshape(s, target);
    }

    // ---- contractions ----

    /** C = op(A) op(B) for 2-D operands; op transposes when the flag is set. */
    public Node matmul(Node a, Node b, boolean transA, boolean transB) {
        requireFloat(Op.MATMUL, a);
        requireFloat(Op.MATMUL, b);
        if (a.shape().rank() != 2 || b.shape().rank() != 2) {
            throw new ShapeException("'@' needs two 2-D operands, got " + a.shape() + " and " + b.shape());
        }
        int m = transA ? a.shape().dim(1) : a.shape().dim(0);
        int ka = transA ? a.shape().dim(0) : a.shape().dim(1);
        int kb = transB ? b.shape().dim(1) : b.shape().dim(0);
        int n = transB ? b.shape().dim(0) : b.shape().dim(1);
        if (ka != kb) {
            throw new ShapeException("inner dimensions differ: " + a.shape() + " @ " + b.shape()
                    + " (" + (ka == Shape.BATCH ? "N" : ka) + " vs " + (kb == Shape.BATCH ? "N" : kb) + ")");
        }
        Shape out = Shape.of(m, n);
        checkBatchFirst(out, "'@'");
        return make(Op.MATMUL, List.of(a, b), out, Node.Type.FLOAT, attrs(0, new int[0], transA, transB, null));
    }

    /**
     * The 2-D transpose {@code [a, b] -> [b, a]} of a tensor without the batch dimension (the batch
     * stays the first dimension of every batched tensor); {@code transpose(transpose(x))} is x.
     */
    public Node transpose(Node x) {
        requireFloat(Op.TRANSPOSE, x);
        if (x.shape().rank() != 2) throw new ShapeException("transpose needs a 2-D tensor, got " + x.shape());
        if (x.shape().batched()) {
            throw new ShapeException("transpose of " + x.shape() + ": a tensor with the batch dimension N cannot be "
                    + "transposed (N stays the first dimension); transpose the other operand of '@' instead");
        }
        if (x.op() == Op.TRANSPOSE) return x.input(0);
        return make(Op.TRANSPOSE, List.of(x), Shape.of(x.shape().dim(1), x.shape().dim(0)), Node.Type.FLOAT,
                Node.Attrs.NONE);
    }

    // ---- row-wise ----

    public Node rowwise(Op op, Node x) {
        requireFloat(op, x);
        if (x.shape().rank() < 1) throw new ShapeException(op.key() + " needs at least one dimension, got a scalar");
        return make(op, List.of(x), x.shape(), Node.Type.FLOAT, Node.Attrs.NONE);
    }

    /** Mean cross-entropy of logits [N, C] against integer labels [N]. */
    public Node crossEntropy(Node logits, Node labels) {
        requireFloat(Op.CROSS_ENTROPY, logits);
        if (logits.shape().rank() != 2) {
            throw new ShapeException("logits must be 2-D [N, classes], got " + logits.shape());
        }
        if (labels.shape().rank() != 1 || labels.shape().dim(0) != logits.shape().dim(0)) {
            throw new ShapeException("integer labels must be [" + dimText(logits.shape().dim(0))
                    + "] for logits " + logits.shape() + ", got " + labels.shape());
        }
        return make(Op.CROSS_ENTROPY, List.of(logits, labels), Shape.SCALAR, Node.Type.FLOAT, Node.Attrs.NONE);
    }

    public Node crossEntropyGrad(Node logits, Node labels, Node dy) {
        return make(Op.CROSS_ENTROPY_GRAD, List.of(logits, labels, dy), logits.shape(), Node.Type.FLOAT,
                Node.Attrs.NONE);
    }

    private static String dimText(int d) {
        return d == Shape.BATCH ? "N" : Integer.toString(d);
    }

    private static void requireFloat(Op op, Node x) {
        if (x.type() != Node.Type.FLOAT) {
            throw new ShapeException(op.key() + " needs a float tensor, got an integer tensor " + x.shape());
        }
    }
}
