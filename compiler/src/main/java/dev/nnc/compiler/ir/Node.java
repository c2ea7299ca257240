package dev.nnc.compiler.ir;

import dev.nnc.compiler.ast.Pos;
import java.util.List;

/**
 * One SSA value of the IR: an op applied to earlier nodes. Nodes are immutable apart from their
 * human-readable label; their id orders them topologically (inputs always have smaller ids).
 */
public final class Node {
    /** Element type: every tensor is float (f32 or f64, chosen per compilation) except integer labels. */
    public enum Type { FLOAT, INT }

    private final int id;
    private final Op op;
    private final List<Node> inputs;
    private final Shape shape;
    private final Type type;
    private final Attrs attrs;
    private final Pos pos;
    private final boolean backward;
    private String label;

    Node(int id, Op op, List<Node> inputs, Shape shape, Type type, Attrs attrs, Pos pos, boolean backward,
            String label) {
        this.id = id;
        this.op = op;
        this.inputs = List.copyOf(inputs);
        this.shape = shape;
        this.type = type;
        this.attrs = attrs;
        this.pos = pos;
        this.backward = backward;
        this.label = label;
    }

    public int id() {
        return id;
    }

    public Op op() {
        return op;
    }

    public List<Node> inputs() {
        return inputs;
    }

    public Node input(int i) {
        return inputs.get(i);
    }

    public Shape shape() {
        return shape;
    }

    public Type type() {
        return type;
    }

    public Attrs attrs() {
        return attrs;
    }

    /** The attributes as the record type this op carries ({@code n.attrs(Attrs.Matmul.class).transA()}). */
    public <A extends Attrs> A attrs(Class<A> type) {
        if (!type.isInstance(attrs)) {
            throw new IllegalStateException(op.key() + " carries " + attrs.getClass().getSimpleName() + ", not "
                    + type.getSimpleName());
        }
        return type.cast(attrs);
    }

    /** Position of the .nn code this node was lowered from. */
    public Pos pos() {
        return pos;
    }

    /** True for nodes created by autodiff. */
    public boolean backward() {
        return backward;
    }

    public String label() {
        return label;
    }

    /** Names the node after a .nn variable, unless it already has a name. */
    public void labelIfUnset(String l) {
        if (label == null) label = l;
    }

    @Override
    public String toString() {
        return "%" + id;
    }
}
