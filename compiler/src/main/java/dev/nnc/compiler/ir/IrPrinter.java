package dev.nnc.compiler.ir;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Text dumps of the IR, for {@code nnc inspect --stage ir|grad} and for tests. */
public final class IrPrinter {
    private IrPrinter() {
    }

    /** The forward graph (training and inference lowering), or everything with {@code withGrad}. */
    public static String print(ModelIr m, boolean withGrad) {
        StringBuilder sb = new StringBuilder();
        sb.append("model ").append(m.name()).append("  // ").append(m.sourceFile()).append('\n');
        for (Node n : m.graph().nodes()) {
            if (n.backward() && !withGrad) continue;
            sb.append(line(n)).append('\n');
        }
        sb.append("roots:\n");
        for (ModelIr.Output o : m.outputs()) sb.append("  output ").append(o.name()).append(" = ").append(o.node()).append('\n');
        if (m.inferenceLoss() != null) sb.append("  loss (inference) = ").append(m.inferenceLoss()).append('\n');
        if (m.trainingLoss() != null) sb.append("  loss (training) = ").append(m.trainingLoss()).append('\n');
        if (withGrad) {
            for (Map.Entry<ModelIr.Param, Node> e : m.grads().entrySet()) {
                sb.append("  grad ").append(e.getKey().name()).append(" = ").append(e.getValue()).append('\n');
            }
            if (m.optimizer() != null) {
                sb.append("  optimizer ").append(m.optimizer().describe()).append('\n');
            }
        }
        return sb.toString();
    }

    /** {@code %5 = relu %4 : [N, 256]   // line 4, h}. */
    public static String line(Node n) {
        StringBuilder sb = new StringBuilder();
        sb.append(n.backward() ? "  ∂ " : "    ").append(n).append(" = ").append(n.op().key());
        String attrs = attrs(n);
        if (!attrs.isEmpty()) sb.append('(').append(attrs).append(')');
        List<Node> ins = n.inputs();
        if (!ins.isEmpty()) sb.append(' ').append(ins.stream().map(Node::toString).collect(Collectors.joining(", ")));
        sb.append(" : ").append(n.type() == Node.Type.INT ? "i32" : "").append(n.shape());
        String pad = " ".repeat(Math.max(1, 48 - sb.length()));
        sb.append(pad).append("// ");
        if (n.pos().line() > 0) sb.append("line ").append(n.pos().line());
        if (n.label() != null) sb.append(", ").append(n.label());
        return sb.toString();
    }

    private static String attrs(Node n) {
        return switch (n.attrs()) {
            case Attrs.Declared d -> d.name();
            case Attrs.Dims d -> d.shape().toString();
            case Attrs.Scalar sc -> n.op() == Op.LEAKY_RELU || n.op() == Op.LEAKY_STEP ? "alpha=" + sc.value()
                    : "eps=" + sc.value();
            case Attrs.Dropout d -> "rate=" + d.rate();
            default -> n.attrs().toString();
        };
    }
}
