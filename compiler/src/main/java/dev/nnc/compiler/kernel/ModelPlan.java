package dev.nnc.compiler.kernel;

import dev.nnc.compiler.ir.ModelIr;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.pipeline.Pipeline;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The kernel schedules and memory plans of a model's entry points: predict, loss, and (when
 * compiled for training) the training forward pass followed by the backward pass.
 *
 * <p>Pipeline, in order, each switchable: FuseKernels (needs the node schedule; {@code --no-fuse}
 * gives one kernel per op), then memory planning: OrderKernels picks the kernel order that keeps
 * the fewest bytes live, PlanMemory places buffers over that final order ({@code --no-plan}
 * switches both off: creation order, every tensor its own buffer).
 */
public final class ModelPlan {
    /** One entry point: its kernels, where the backward part starts, and its memory plan. */
    public record Entry(String name, List<Kernel> kernels, int backwardStart, PlanMemory.Result memory,
            List<Node> nodes) {
        public List<Kernel> forward() {
            return kernels.subList(0, backwardStart);
        }

        public List<Kernel> backward() {
            return kernels.subList(backwardStart, kernels.size());
        }
    }

    /** Which passes run. */
    public record Options(boolean fuse, boolean plan, boolean training) {
    }

    private final ModelIr model;
    private final Options options;
    private final Set<Node> claimedGrads = new HashSet<>();
    private final Entry predict;
    private final Entry loss;
    private final Entry train;

    private final Pipeline.Listener listener;
    private final Layout layout;

    /** The places every entry point shares (the plan's last stage). */
    public Layout layout() {
        return layout;
    }

    public ModelPlan(ModelIr model, Options options) {
        this(model, options, Pipeline.Listener.NONE);
    }

    /** The plan, telling {@code listener} after every schedule pass of every entry point. */
    public ModelPlan(ModelIr model, Options options, Pipeline.Listener listener) {
        this.model = model;
        this.options = options;
        this.listener = listener;
        List<Node> outs = model.outputs().stream().map(ModelIr.Output::node).toList();
        predict = entry("predict", outs);
        List<Node> lossRoots = new ArrayList<>(outs);
        if (model.inferenceLoss() != null) lossRoots.add(model.inferenceLoss());
        loss = model.inferenceLoss() == null ? null : entry("loss", lossRoots);
        train = options.training() && model.trainingLoss() != null ? trainEntry() : null;
        layout = new Layout(this);
        listener.after(Pipeline.LAYOUT, model.name(), layout, true);
    }

    public ModelIr model() {
        return model;
    }

    public Options options() {
        return options;
    }

    public Entry predict() {
        return predict;
    }

    /** Null when the model has no loss. */
    public Entry loss() {
        return loss;
    }

    /** Null when the model is not compiled for training. */
    public Entry train() {
        return train;
    }

    public List<Entry> entries() {
        List<Entry> all = new ArrayList<>();
        all.add(predict);
        if (loss != null) all.add(loss);
        if (train != null) all.add(train);
        return all;
    }

    /** Gradient nodes written straight into the gradient buffer (the rest are copied there). */
    public Set<Node> claimedGrads() {
        return claimedGrads;
    }

    private Entry entry(String name, List<Node> roots) {
        String where = model.name() + " " + name;
        List<Node> nodes = needed(roots);
        List<Kernel> kernels = FuseKernels.run(nodes, roots, options.fuse());
        listener.after(Pipeline.FUSE, where, kernels, options.fuse());
        if (options.plan()) kernels = order(where, kernels, roots);
        listener.after(Pipeline.PLACE, where, kernels, PlaceKernels.run(kernels));
        PlanMemory.Result mem = PlanMemory.run(kernels, Set.of(), new HashSet<>(roots), options.plan());
        Entry e = new Entry(name, kernels, kernels.size(), mem, nodes);
        listener.after(Pipeline.PLAN_MEMORY, where, e, options.plan());
        return e;
    }

    private List<Kernel> order(String where, List<Kernel> kernels, java.util.Collection<Node> roots) {
        List<Kernel> ordered = OrderKernels.run(kernels, roots);
        listener.after(Pipeline.ORDER, where, ordered, !ordered.equals(kernels));
        return ordered;
    }

    private Entry trainEntry() {
        List<Node> roots = new ArrayList<>(model.grads().values());
        roots.add(model.trainingLoss());
        List<Node> all = needed(roots);
        List<Node> fwd = all.stream().filter(n -> !n.backward()).toList();
        List<Node> bwd = all.stream().filter(Node::backward).toList();
        // the forward pass keeps exactly what the backward pass reads, and the loss
        Set<Node> keep = new LinkedHashSet<>();
        keep.add(model.trainingLoss());
        for (Node b : bwd) {
            for (Node in : b.inputs()) {
                if (!in.backward()) keep.add(FuseKernels.source(in));
            }
        }
        for (Node g : model.grads().values()) {
            if (!g.backward()) keep.add(g);
        }
        String where = model.name() + " train";
        List<Kernel> forward = FuseKernels.run(fwd, keep, options.fuse());
        List<Kernel> backward = FuseKernels.run(bwd, roots, options.fuse());
        listener.after(Pipeline.FUSE, where, concat(forward, backward), options.fuse());
        if (options.plan()) { // the forward pass and the backward pass are ordered each on its own
            List<Kernel> f = OrderKernels.run(forward, keep);
            List<Kernel> b = OrderKernels.run(backward, roots);
            listener.after(Pipeline.ORDER, where, concat(f, b), !f.equals(forward) || !b.equals(backward));
            forward = f;
            backward = b;
        }
        List<Kernel> kernels = new ArrayList<>(forward);
        int backwardStart = kernels.size();
        kernels.addAll(backward);
        listener.after(Pipeline.PLACE, where, kernels, PlaceKernels.run(kernels));
        for (Node g : model.grads().values()) {
            if (g.backward() && producedBy(kernels, g) && g.op() != Op.DROPOUT_MASK && !claimedTwice(g)) {
                claimedGrads.add(g);
            }
        }
        Set<Node> rootSet = new HashSet<>(roots);
        PlanMemory.Result mem = PlanMemory.run(kernels, claimedGrads, rootSet, options.plan());
        Entry e = new Entry("train", kernels, backwardStart, mem, all);
        listener.after(Pipeline.PLAN_MEMORY, where, e, options.plan());
        return e;
    }

    private static List<Kernel> concat(List<Kernel> a, List<Kernel> b) {
        List<Kernel> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private boolean claimedTwice(Node g) {
        return model.grads().values().stream().filter(x -> x == g).count() > 1;
    }

    private static boolean producedBy(List<Kernel> kernels, Node n) {
        return kernels.stream().anyMatch(k -> k.outputs().contains(n));
    }

    /** Every node the roots depend on, in id (= topological) order. */
    static List<Node> needed(Collection<Node> roots) {
        Set<Node> seen = new HashSet<>();
        List<Node> stack = new ArrayList<>(roots);
        while (!stack.isEmpty()) {
            Node n = stack.removeLast();
            if (seen.add(n)) stack.addAll(n.inputs());
        }
        List<Node> out = new ArrayList<>(seen);
        out.sort((a, b) -> Integer.compare(a.id(), b.id()));
        return out;
    }
}
