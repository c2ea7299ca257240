package dev.nnc.compiler.kernel;

import dev.nnc.compiler.ir.Attrs;
import dev.nnc.compiler.ir.Body;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The plan of a recurrence's kernel ({@code LOOP} or {@code LOOP_GRAD}): the body run at every
 * step, scheduled and memory-planned like an entry point of its own, and the scratch it works in.
 * Per step the loop copies the step's slices of its sequences into contiguous buffers, runs the
 * body's kernels, writes the step's outputs into the stacked results, and copies the carried
 * values over the previous ones. Invariants (weights) are read where they live; batch-sized
 * buffers and the body's batch-sized arena are in the kernel's batched scratch, fixed-size carried
 * values (sums of weight gradients) and the body's fixed arena in its fixed scratch.
 */
public final class LoopPlan {
    private final Node node;
    private final Body body;
    private final ModelPlan.Entry entry;
    private final Map<Node, Long> batchedSlots = new LinkedHashMap<>();
    private final Map<Node, Long> fixedSlots = new LinkedHashMap<>();
    private final long bodyBatchedBase;
    private final long bodyFixedBase;

    LoopPlan(Node node, boolean fuse) {
        this.node = node;
        this.body = node.op() == Op.LOOP ? node.attrs(Attrs.Loop.class).body()
                : node.attrs(Attrs.LoopGrad.class).backward();
        List<Node> roots = new ArrayList<>(body.next());
        roots.addAll(body.ys());
        List<Node> nodes = ModelPlan.needed(roots);
        List<Kernel> kernels = FuseKernels.run(nodes, roots, fuse);
        kernels = OrderKernels.run(kernels, roots);
        PlaceKernels.run(kernels);
        PlanMemory.Result mem = PlanMemory.run(kernels, Set.of(), new LinkedHashSet<>(roots), true);
        this.entry = new ModelPlan.Entry("loop body", kernels, kernels.size(), mem, nodes);
        long batched = 0;
        long fixed = 0;
        List<Node> buffered = new ArrayList<>(body.xs());
        buffered.addAll(body.states());
        for (Node p : buffered) {
            if (p.shape().batched()) {
                batchedSlots.put(p, batched);
                batched += p.shape().staticSize();
            } else {
                fixedSlots.put(p, fixed);
                fixed += p.shape().staticSize();
            }
        }
        this.bodyBatchedBase = batched;
        this.bodyFixedBase = fixed;
    }

    /** The LOOP or LOOP_GRAD node. */
    public Node node() {
        return node;
    }

    /** The step the loop runs. */
    public Body body() {
        return body;
    }

    /** True for the reverse loop of backpropagation through time (t from T-1 down to 0). */
    public boolean reverse() {
        return node.op() == Op.LOOP_GRAD;
    }

    /** The body's kernels and memory plan. */
    public ModelPlan.Entry entry() {
        return entry;
    }

    /** Offset (per batch row) of a batch-sized placeholder's buffer in the batched scratch. */
    public Map<Node, Long> batchedSlots() {
        return batchedSlots;
    }

    /** Offset of a fixed-size carried placeholder's buffer in the fixed scratch. */
    public Map<Node, Long> fixedSlots() {
        return fixedSlots;
    }

    /** Where the body's batch-sized arena starts in the batched scratch (per row). */
    public long bodyBatchedBase() {
        return bodyBatchedBase;
    }

    /** Where the body's fixed arena starts in the fixed scratch. */
    public long bodyFixedBase() {
        return bodyFixedBase;
    }

    public long batchedWork() {
        return bodyBatchedBase + entry.memory().batchedArena();
    }

    public long fixedWork() {
        return bodyFixedBase + entry.memory().fixedArena();
    }
}
