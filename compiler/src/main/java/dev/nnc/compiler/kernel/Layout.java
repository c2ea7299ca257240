package dev.nnc.compiler.kernel;

import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.ModelIr;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Pass Layout, the last stage of the plan: the places that do not change between entry points.
 * Parameters tile the flat parameter buffer in declaration order (gradients the same in theirs);
 * constants come first in the fixed arena, in id order, then those of loop bodies; feeds and
 * outputs follow, batch-sized ones at the start of the batched arena; every entry point's planned
 * tensors start above them ({@link #batchedBase()}, {@link #fixedBase()}). Code generation turns
 * these numbers into fields and offsets and decides nothing about them.
 */
public final class Layout {
    /** Where a global value lives. */
    public enum Region { PARAMS, GRADS, BATCHED, FIXED, INT_FEED }

    /** A place: the region and the offset in it (per batch row in the batched arena). */
    public record Place(Region region, long offset) {
    }

    private final Map<ModelIr.Param, Integer> paramOffsets = new LinkedHashMap<>();
    private final List<Node> consts = new ArrayList<>();
    private final Map<Node, Place> globals = new LinkedHashMap<>();
    private final List<Map.Entry<ModelIr.Param, Node>> gradCopies = new ArrayList<>();
    private final List<Node> masks = new ArrayList<>();
    private final int paramCount;
    private final long batchedBase;
    private final long fixedBase;
    private final long arenaPerRow;
    private final long fixedSize;

    Layout(ModelPlan plan) {
        ModelIr m = plan.model();
        int off = 0;
        for (ModelIr.Param p : m.params()) {
            paramOffsets.put(p, off);
            globals.put(p.node(), new Place(Region.PARAMS, off));
            off += p.node().shape().staticSize();
        }
        paramCount = off;
        Set<Node> sorted = new TreeSet<>(java.util.Comparator.comparingInt(Node::id));
        for (ModelPlan.Entry e : plan.entries()) {
            for (Kernel k : e.kernels()) {
                for (Node in : k.inputs()) {
                    Node src = FuseKernels.source(in);
                    if (src.op() == Op.CONST) sorted.add(src);
                }
                for (Node op : k.ops()) if (op.op() == Op.CONST) sorted.add(op);
            }
        }
        consts.addAll(sorted);
        for (ModelPlan.Entry e : plan.entries()) { // the constants of loop bodies (a graph of their own), after
            for (Kernel k : e.kernels()) {
                if (k.loopPlan() == null) continue;
                for (Kernel bk : k.loopPlan().entry().kernels()) {
                    for (Node in : bk.inputs()) {
                        Node src = FuseKernels.source(in);
                        if (src.op() == Op.CONST && !consts.contains(src)) consts.add(src);
                    }
                }
            }
        }
        long fixed = 0;
        for (Node c : consts) globals.put(c, new Place(Region.FIXED, fixed++));
        long batched = 0;
        for (ModelIr.Feed f : m.feeds()) {
            Node n = f.node();
            if (n.type() == Node.Type.INT) {
                globals.put(n, new Place(Region.INT_FEED, 0));
            } else if (n.shape().batched()) {
                globals.put(n, new Place(Region.BATCHED, batched));
                batched += n.shape().staticSize();
            } else {
                globals.put(n, new Place(Region.FIXED, fixed));
                fixed += n.shape().staticSize();
            }
        }
        for (ModelIr.Output o : m.outputs()) {
            Node src = FuseKernels.source(o.node());
            if (globals.containsKey(src)) continue;
            if (src.shape().batched()) {
                globals.put(src, new Place(Region.BATCHED, batched));
                batched += src.shape().staticSize();
            } else {
                globals.put(src, new Place(Region.FIXED, fixed));
                fixed += src.shape().staticSize();
            }
        }
        batchedBase = batched;
        fixedBase = fixed;
        long perRow = 0;
        long fixedMax = 0;
        for (ModelPlan.Entry e : plan.entries()) {
            perRow = Math.max(perRow, batchedBase + e.memory().batchedArena());
            fixedMax = Math.max(fixedMax, fixedBase + e.memory().fixedArena());
        }
        arenaPerRow = perRow;
        fixedSize = fixedMax;
        for (Node g : plan.claimedGrads()) {
            globals.put(g, new Place(Region.GRADS, paramOffsets.get(paramOf(m, g))));
        }
        for (var e : m.grads().entrySet()) {
            if (!plan.claimedGrads().contains(e.getValue()) || paramOf(m, e.getValue()) != e.getKey()) gradCopies.add(e);
        }
        for (Node n : m.graph().nodes()) {
            if (n.op() == Op.DROPOUT_MASK) masks.add(n);
        }
    }

    private static ModelIr.Param paramOf(ModelIr m, Node grad) {
        for (var e : m.grads().entrySet()) {
            if (e.getValue() == grad) return e.getKey();
        }
        throw new IllegalStateException("not a gradient: " + grad);
    }

    /** Offset of each parameter in the flat buffer, in declaration order. */
    public Map<ModelIr.Param, Integer> paramOffsets() {
        return Collections.unmodifiableMap(paramOffsets);
    }

    public int paramCount() {
        return paramCount;
    }

    /** The constants, in the order of their slots at the start of the fixed arena. */
    public List<Node> consts() {
        return Collections.unmodifiableList(consts);
    }

    /** Constants divided by the batch size at every load ({@code mean}'s 1/n). */
    public List<Node> perBatchConsts() {
        return consts.stream().filter(c -> !Graph.isPlainConst(c)).toList();
    }

    /** Places of parameters, constants, feeds, outputs and the gradients written straight into the gradient buffer. */
    public Map<Node, Place> globals() {
        return Collections.unmodifiableMap(globals);
    }

    /** Gradients computed elsewhere and copied into the gradient buffer after the backward pass. */
    public List<Map.Entry<ModelIr.Param, Node>> gradCopies() {
        return Collections.unmodifiableList(gradCopies);
    }

    /** The dropout masks, in graph order: mask i draws from stream {@code step · masks + i}. */
    public List<Node> masks() {
        return Collections.unmodifiableList(masks);
    }

    /** Where every entry point's planned batch-sized tensors start (per row). */
    public long batchedBase() {
        return batchedBase;
    }

    /** Where every entry point's planned fixed-size tensors start. */
    public long fixedBase() {
        return fixedBase;
    }

    /** Activation values per batch row: the largest entry point's. */
    public long arenaPerRow() {
        return arenaPerRow;
    }

    /** Fixed-size values: the largest entry point's. */
    public long fixedSize() {
        return fixedSize;
    }
}
