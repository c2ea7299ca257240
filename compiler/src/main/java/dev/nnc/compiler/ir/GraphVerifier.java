package dev.nnc.compiler.ir;

import java.util.ArrayList;
import java.util.List;

/**
 * Checks the invariants of the graph level (docs/ir/graph.md). Tests run it after every pass;
 * returns the violations, empty when the graph is sound.
 */
public final class GraphVerifier {
    private GraphVerifier() {
    }

    public static List<String> verify(ModelIr m) {
        List<String> bad = new ArrayList<>();
        List<Node> nodes = m.graph().nodes();
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (n.id() != i) bad.add(n + ": id " + n.id() + " at position " + i);
            for (Node in : n.inputs()) {
                if (in.id() >= n.id()) bad.add(n + " reads " + in + ", which does not come before it");
                if (in.id() >= nodes.size() || nodes.get(in.id()) != in) bad.add(n + " reads " + in + " from another graph");
            }
            for (int d = 1; d < n.shape().rank(); d++) {
                if (n.shape().dim(d) == Shape.BATCH) bad.add(n + ": batch dimension at position " + d);
            }
            String shapeProblem = shapeRule(n);
            if (shapeProblem != null) bad.add(n + " (" + n.op().key() + "): " + shapeProblem);
        }
        for (ModelIr.Param p : m.params()) {
            if (p.node().op() != Op.PARAM) bad.add("parameter " + p.name() + " is " + p.node().op().key());
        }
        for (var e : m.grads().entrySet()) {
            if (!e.getValue().shape().equals(e.getKey().node().shape())) {
                bad.add("gradient of " + e.getKey().name() + " has shape " + e.getValue().shape());
            }
        }
        return bad;
    }

    /** The shape an op must produce from its inputs (its {@code OpDef.shape}), or null when it does. */
    private static String shapeRule(Node n) {
        try {
            Shape expected = n.op().def().shape(n.inputs(), n.attrs());
            return n.shape().equals(expected) ? null : "shape " + n.shape() + ", expected " + expected;
        } catch (ShapeException e) {
            return e.getMessage();
        }
    }
}
