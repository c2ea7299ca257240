package dev.nnc.compiler.kernel;

import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pass OrderKernels (part of memory planning): among the kernels whose inputs are ready, run next
 * the one that adds the fewest live bytes (what it writes minus what dies when it has read it).
 * Before: kernels in the order autodiff and lowering created them. After: a valid order in which
 * independent branches are finished one at a time instead of all being kept alive together.
 * Where nothing is free to choose (a chain), the order does not change.
 */
public final class OrderKernels {
    private OrderKernels() {
    }

    /** Sizes count a batch of this many rows; only the ranking depends on it. */
    private static final int ROWS = 128;

    public static List<Kernel> run(List<Kernel> kernels, Collection<Node> roots) {
        int count = kernels.size();
        Map<Node, Integer> producer = new HashMap<>();
        for (int i = 0; i < count; i++) {
            for (Node out : kernels.get(i).outputs()) producer.put(out, i);
        }
        List<Set<Integer>> deps = new ArrayList<>();
        Map<Node, Integer> readers = new HashMap<>();
        for (Kernel k : kernels) {
            Set<Integer> d = new HashSet<>();
            for (Node in : k.inputs()) {
                Node src = FuseKernels.source(in);
                Integer p = producer.get(src);
                if (p != null) d.add(p);
                readers.merge(src, 1, Integer::sum);
            }
            deps.add(d);
        }
        Set<Node> kept = new HashSet<>();
        for (Node r : roots) kept.add(FuseKernels.source(r));
        boolean[] done = new boolean[count];
        List<Kernel> order = new ArrayList<>(count);
        for (int step = 0; step < count; step++) {
            int best = -1;
            long bestCost = Long.MAX_VALUE;
            for (int i = 0; i < count; i++) {
                if (done[i] || !ready(deps.get(i), done)) continue;
                long cost = cost(kernels.get(i), readers, kept);
                if (cost < bestCost) { // ties keep the original order
                    best = i;
                    bestCost = cost;
                }
            }
            done[best] = true;
            Kernel k = kernels.get(best);
            order.add(k);
            for (Node in : k.inputs()) readers.merge(FuseKernels.source(in), -1, Integer::sum);
        }
        return order;
    }

    private static boolean ready(Set<Integer> deps, boolean[] done) {
        for (int d : deps) if (!done[d]) return false;
        return true;
    }

    /** Bytes (in elements) a kernel adds to the live set: its outputs, minus inputs it reads last. */
    private static long cost(Kernel k, Map<Node, Integer> readers, Set<Node> kept) {
        long c = 0;
        for (Node out : k.outputs()) c += size(out);
        Set<Node> seen = new HashSet<>();
        for (Node in : k.inputs()) {
            Node src = FuseKernels.source(in);
            if (!seen.add(src) || kept.contains(src) || src.op() == Op.INPUT || src.op() == Op.PARAM
                    || src.op() == Op.CONST) {
                continue;
            }
            long uses = k.inputs().stream().filter(i -> FuseKernels.source(i) == src).count();
            if (readers.getOrDefault(src, 0) == uses) c -= size(src);
        }
        return c;
    }

    private static long size(Node n) {
        return (long) n.shape().staticSize() * (n.shape().batched() ? ROWS : 1);
    }
}
