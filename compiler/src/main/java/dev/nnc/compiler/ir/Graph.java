package dev.nnc.compiler.ir;

import dev.nnc.compiler.ast.Pos;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The IR graph and its builder. Every node's shape comes from its op's shape rule ({@code OpDef.shape}); the
 * builder methods add the folding of identities.
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

    /**
     * The node {@code op(inputs)} with these attributes: its shape from the op's shape rule
     * ({@link dev.nnc.compiler.ops.OpDef#shape}), the same node when it exists already.
     */
    private Node make(Op op, List<Node> inputs, Node.Type type, Attrs attrs) {
        if (!op.def().attrs().isInstance(attrs)) {
            throw new IllegalArgumentException(op.key() + " takes " + op.def().attrs().getSimpleName() + ", not " + attrs);
        }
        Shape shape = op.def().shape(inputs, attrs);
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
            Node r = make(n.op(), inputs, n.type(), n.attrs());
            if (n.label() != null) r.labelIfUnset(n.label());
            return r;
        } finally {
            pos = savedPos;
            backward = savedBackward;
        }
    }

    // ---- sources ----

    public Node input(String name, Shape shape, Node.Type type) {
        return make(Op.INPUT, List.of(), type, new Attrs.Declared(name, shape));
    }

    public Node param(String name, Shape shape) {
        return make(Op.PARAM, List.of(), Node.Type.FLOAT, new Attrs.Declared(name, shape));
    }

    public Node constant(double value) {
        return make(Op.CONST, List.of(), Node.Type.FLOAT, new Attrs.Const(value, false));
    }

    /** The scalar {@code value / n}, n being the runtime batch size. */
    public Node perBatchConstant(double value) {
        return make(Op.CONST, List.of(), Node.Type.FLOAT, new Attrs.Const(value, true));
    }

    public Node dropoutMask(Shape shape, double rate, String id) {
        return make(Op.DROPOUT_MASK, List.of(), Node.Type.FLOAT, new Attrs.Dropout(rate, id, shape));
    }

    // ---- elementwise ----

    public Node unary(Op op, Node x) {
        return unary(op, x, 0);
    }

    /** A one-input elementwise op; {@code value} is the real parameter of those that take one (leaky_relu's alpha). */
    public Node unary(Op op, Node x, double value) {
        requireFloat(op, x);
        if (op.family() != Op.Family.ELEMENTWISE) throw new IllegalArgumentException(op + " is not elementwise");
        Attrs a = op.def().attrs() == Attrs.Scalar.class ? new Attrs.Scalar(value) : Attrs.NONE;
        return make(op, List.of(x), Node.Type.FLOAT, a);
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
        if (isPlainConst(a) && isPlainConst(b)) {
            double x = a.attrs(Attrs.Const.class).value(), y = b.attrs(Attrs.Const.class).value();
            return constant(switch (op) {
                case ADD -> x + y;
                case SUB -> x - y;
                case MUL -> x * y;
                case DIV -> x / y;
                default -> throw new IllegalArgumentException(op.toString());
            });
        }
        return make(op, List.of(a, b), Node.Type.FLOAT, Attrs.NONE);
    }

    /** A literal that is not divided by the batch size. */
    public static boolean isPlainConst(Node n) {
        return n.op() == Op.CONST && !n.attrs(Attrs.Const.class).perBatch();
    }

    private static boolean isConst(Node n, double v) {
        return isPlainConst(n) && n.attrs(Attrs.Const.class).value() == v;
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

    /** The batch dimension N may only be the first dimension of a shape. */
    public static void checkBatchFirst(Shape s, String what) {
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
        return make(Op.BROADCAST, List.of(x), x.type(), new Attrs.Dims(target));
    }

    public Node reshape(Node x, Shape target) {
        if (x.shape().equals(target)) return x;
        Op.RESHAPE.def().shape(List.of(x), new Attrs.Dims(target)); // checks it, before folding
        Node src = x.op() == Op.RESHAPE ? x.input(0) : x; // reshape of reshape is one reshape
        if (src.shape().equals(target)) return src;
        return make(Op.RESHAPE, List.of(src), x.type(), new Attrs.Dims(target));
    }

    // ---- reductions ----

    /** Sums over {@code axes} (already normalized, ascending, distinct); they are removed from the shape. */
    public Node sum(Node x, int[] axes) {
        requireFloat(Op.SUM, x);
        if (axes.length == 0) return x;
        return make(Op.SUM, List.of(x), Node.Type.FLOAT, new Attrs.Axes(axes));
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
        return make(Op.MATMUL, List.of(a, b), Node.Type.FLOAT, new Attrs.Matmul(transA, transB));
    }

    /**
     * The 2-D transpose {@code [a, b] -> [b, a]} of a tensor without the batch dimension (the batch
     * stays the first dimension of every batched tensor); {@code transpose(transpose(x))} is x.
     */
    public Node transpose(Node x) {
        requireFloat(Op.TRANSPOSE, x);
        Op.TRANSPOSE.def().shape(List.of(x), Attrs.NONE); // checks it, before folding
        if (x.op() == Op.TRANSPOSE) return x.input(0);
        return make(Op.TRANSPOSE, List.of(x), Node.Type.FLOAT, Attrs.NONE);
    }

    /**
     * {@code op(inputs)} with these attributes, for ops whose builder folds nothing (convolutions,
     * pools and their gradients): float inputs, a float result.
     */
    public Node node(Op op, Attrs attrs, Node... inputs) {
        for (Node in : inputs) requireFloat(op, in);
        return make(op, List.of(inputs), Node.Type.FLOAT, attrs);
    }

    // ---- row-wise ----

    public Node rowwise(Op op, Node x) {
        requireFloat(op, x);
        return make(op, List.of(x), Node.Type.FLOAT, Attrs.NONE);
    }

    /** Mean cross-entropy of logits [N, C] against integer labels [N]. */
    public Node crossEntropy(Node logits, Node labels) {
        requireFloat(Op.CROSS_ENTROPY, logits);
        return make(Op.CROSS_ENTROPY, List.of(logits, labels), Node.Type.FLOAT, Attrs.NONE);
    }

    public Node crossEntropyGrad(Node logits, Node labels, Node dy) {
        return make(Op.CROSS_ENTROPY_GRAD, List.of(logits, labels, dy), Node.Type.FLOAT, Attrs.NONE);
    }

    private static void requireFloat(Op op, Node x) {
        if (x.type() != Node.Type.FLOAT) {
            throw new ShapeException(op.key() + " needs a float tensor, got an integer tensor " + x.shape());
        }
    }
}
