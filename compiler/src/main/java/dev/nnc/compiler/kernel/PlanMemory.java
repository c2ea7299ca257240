package dev.nnc.compiler.kernel;

import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.plan.MemoryPlanner;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pass PlanMemory: kernel schedule → offsets of every stored tensor in two arenas, one for
 * tensors that scale with the batch (offsets × maxBatch) and one for fixed-size tensors.
 * Before: every tensor its own buffer (the naive sum). After: buffers whose live intervals are
 * disjoint share memory, and an elementwise kernel writes in place over an input that dies there.
 *
 * <p>Live interval of a tensor: from the kernel that writes it to the last kernel that reads it,
 * directly or through a view; returned values live to the end; feeds are pinned. Tensors stored
 * elsewhere (feeds, which have fixed places shared by all entry points, parameters, gradients
 * written straight into the gradient buffer, constants) are not planned here.
 */
public final class PlanMemory {
    private PlanMemory() {
    }

    /** One planned buffer: the tensors stored in it and its interval. */
    public static final class Slot {
        final List<Node> tensors = new ArrayList<>();
        final boolean batched;
        final long size;
        final boolean pinned;
        int start;
        int end;

        Slot(Node n, int start, int end, boolean pinned) {
            this.batched = n.shape().batched();
            this.size = n.shape().staticSize();
            this.pinned = pinned;
            this.start = start;
            this.end = end;
            tensors.add(n);
        }

        /** A kernel's scratch: {@code size} elements (per batch row when {@code batched}), live in that kernel only. */
        Slot(long size, int kernel, boolean batched) {
            this.batched = batched;
            this.size = size;
            this.pinned = false;
            this.start = kernel;
            this.end = kernel;
        }

        public List<Node> tensors() {
            return tensors;
        }

        public boolean batched() {
            return batched;
        }

        public long size() {
            return size;
        }

        public int start() {
            return start;
        }

        public int end() {
            return end;
        }
    }

    /** The plan of one entry point: slot offsets per arena and the figures to report. */
    public record Result(Map<Node, Slot> slotOf, Map<Kernel, Slot> workOf, Map<Kernel, Slot> workFixedOf,
            Map<Slot, Long> offsets, long batchedArena,
            long fixedArena, long batchedNaive, long fixedNaive, long batchedPeak, long fixedPeak) {
        public long offset(Node n) {
            return offsets.get(slotOf.get(FuseKernels.source(n)));
        }

        /** Offset (per batch row) of the scratch of a kernel that needs one ({@link Kernel#workPerRow}). */
        public long workOffset(Kernel k) {
            return offsets.get(workOf.get(k));
        }

        /** Offset of the fixed-size scratch of a kernel that needs one ({@link Kernel#workFixed}). */
        public long workFixedOffset(Kernel k) {
            return offsets.get(workFixedOf.get(k));
        }

        public boolean planned(Node n) {
            return slotOf.containsKey(FuseKernels.source(n));
        }

        /** Arena bytes for a batch of n rows. */
        public long arenaBytes(int n, int elementBytes) {
            return (batchedArena * n + fixedArena) * elementBytes;
        }

        public long naiveBytes(int n, int elementBytes) {
            return (batchedNaive * n + fixedNaive) * elementBytes;
        }

        public long peakBytes(int n, int elementBytes) {
            return (batchedPeak * n + fixedPeak) * elementBytes;
        }
    }

    /**
     * @param kernels  the schedule
         * @param elsewhere tensors with storage of their own (gradients written into the gradient buffer)
     * @param roots    values read after the schedule ends
     * @param plan     false gives every tensor its own buffer ({@code --no-plan})
     */
    public static Result run(List<Kernel> kernels, Set<Node> elsewhere, Set<Node> roots, boolean plan) {
        Map<Node, Slot> slotOf = new LinkedHashMap<>();
        int last = kernels.size();
        for (int i = 0; i < kernels.size(); i++) {
            Kernel k = kernels.get(i);
            for (Node out : k.outputs()) {
                if (!elsewhere.contains(out) && !slotOf.containsKey(out) && !isSource(out)) {
                    slotOf.put(out, new Slot(out, i, i, false));
                }
            }
            for (Node in : k.inputs()) {
                Slot s = slotOf.get(FuseKernels.source(in));
                if (s != null) s.end = Math.max(s.end, i);
            }
        }
        for (Node r : roots) {
            Slot s = slotOf.get(FuseKernels.source(r));
            if (s != null) s.end = last;
        }
        Map<Kernel, Slot> workOf = new LinkedHashMap<>();
        Map<Kernel, Slot> workFixedOf = new LinkedHashMap<>();
        for (int i = 0; i < kernels.size(); i++) {
            long work = kernels.get(i).workPerRow();
            if (work > 0) workOf.put(kernels.get(i), new Slot(work, i, true));
            long fixedWork = kernels.get(i).workFixed();
            if (fixedWork > 0) workFixedOf.put(kernels.get(i), new Slot(fixedWork, i, false));
        }
        long batchedNaive = 0;
        long fixedNaive = 0;
        for (Slot s : new HashSet<>(slotOf.values())) {
            if (s.batched) batchedNaive += s.size;
            else fixedNaive += s.size;
        }
        for (Slot s : workOf.values()) batchedNaive += s.size;
        for (Slot s : workFixedOf.values()) fixedNaive += s.size;
        if (plan) inPlace(kernels, slotOf);
        List<Slot> slots = new ArrayList<>(new java.util.LinkedHashSet<>(slotOf.values()));
        slots.addAll(workOf.values());
        slots.addAll(workFixedOf.values());
        Map<Slot, Long> offsets = new HashMap<>();
        long[] arena = new long[2];
        long[] peak = new long[2];
        for (int kind = 0; kind < 2; kind++) {
            boolean batched = kind == 0;
            List<MemoryPlanner.Buffer> buffers = new ArrayList<>();
            Map<MemoryPlanner.Buffer, Slot> back = new HashMap<>();
            for (Slot s : slots) {
                if (s.batched != batched) continue;
                // without planning every buffer is live throughout, so none share
                MemoryPlanner.Buffer b = new MemoryPlanner.Buffer(name(s), s.size, plan ? s.start : 0,
                        plan ? s.end : last, s.pinned);
                buffers.add(b);
                back.put(b, s);
            }
            MemoryPlanner.Plan p = MemoryPlanner.plan(buffers);
            for (var e : p.offsets().entrySet()) offsets.put(back.get(e.getKey()), e.getValue());
            arena[kind] = p.arenaSize();
            peak[kind] = plan ? p.peakLive() : MemoryPlanner.peakLive(buffers.stream()
                    .map(b -> new MemoryPlanner.Buffer(b.name(), b.size(), back.get(b).start, back.get(b).end, b.pinned()))
                    .toList());
        }
        return new Result(slotOf, workOf, workFixedOf, offsets, arena[0], arena[1], batchedNaive, fixedNaive, peak[0],
                peak[1]);
    }

    private static boolean isSource(Node n) {
        return n.op() == Op.INPUT || n.op() == Op.PARAM || n.op() == Op.CONST;
    }

    private static String name(Slot s) {
        return s.tensors.isEmpty() ? "scratch of kernel " + s.start : "%" + s.tensors.getFirst().id();
    }

    /**
     * An elementwise kernel may write an output over an input of the same shape that dies in it:
     * each element is read before it is written, at the same index. Not for GEMM operands
     * (the product reads them while writing) nor for inputs read with broadcasting.
     */
    private static void inPlace(List<Kernel> kernels, Map<Node, Slot> slotOf) {
        for (int i = 0; i < kernels.size(); i++) {
            Kernel k = kernels.get(i);
            if (k.rowwise() != null) continue;
            Set<Slot> taken = new HashSet<>();
            for (Node out : k.outputs()) {
                if (out == k.gemm() || k.reductions().contains(out) || !out.shape().equals(k.space())) continue;
                Slot os = slotOf.get(out);
                if (os == null || os.tensors.size() != 1) continue;
                for (Node in : candidates(k)) {
                    Slot is = slotOf.get(FuseKernels.source(in));
                    if (is != null && k.inputs().stream().filter(o -> slotOf.get(FuseKernels.source(o)) == is).count() > 1) {
                        continue; // the same memory read through two views: one of them may broadcast
                    }
                    if (is == null || is.pinned || is.end != i || is == os || taken.contains(is)
                            || !in.shape().equals(k.space()) || is.size != os.size || is.batched != os.batched) {
                        continue;
                    }
                    taken.add(is);
                    is.tensors.add(out);
                    is.end = Math.max(is.end, os.end);
                    slotOf.put(out, is);
                    break;
                }
            }
        }
    }

    /** Inputs an output may overwrite: the loop's own inputs, or the GEMM product for its epilogue. */
    private static List<Node> candidates(Kernel k) {
        List<Node> c = new ArrayList<>();
        if (k.gemm() != null) {
            c.add(k.gemm());
            return c;
        }
        for (Node in : k.inputs()) {
            if (in.op() != Op.CONST) c.add(in);
        }
        return c;
    }
}
