package dev.nnc.compiler.kernel;

import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pass FuseKernels: schedule of nodes → schedule of kernels.
 * Before: {@code matmul, add(bias), relu, mul(mask), sum} as five loops.
 * After: {@code gemm+add+relu+dropout_mask+mul} (epilogue) and the reduction fused into the loop that
 * produces its input.
 *
 * <p>Rules, applied greedily in topological order (TVM's op patterns, XLA's loop and output fusion):
 * <ol>
 *   <li>an elementwise or broadcast node joins the open kernel of one of its inputs when its shape is
 *       that kernel's iteration space (chains become one loop, forward and backward alike);</li>
 *   <li>a matmul opens a GEMM kernel; elementwise consumers of the product join it as its epilogue;</li>
 *   <li>a sum joins the open kernel producing its input when that input spans the kernel's space
 *       (an elementwise producer fused into the reduction);</li>
 *   <li>a dropout mask is drawn inside the kernel that applies it (a counter-based hash of
 *       (seed, step, element)) and stored only when the backward pass reads it;</li>
 *   <li>a row-wise op (softmax, log_softmax, cross-entropy) over the value an open kernel has just
 *       computed runs at that kernel's end, over rows still in cache; otherwise it is a kernel of
 *       its own;</li>
 *   <li>a forward pool over the value a loop over samples has just computed runs at the end of
 *       each chunk of that loop ({@link dev.nnc.compiler.ops.OpDef#fusesPerSample}): the conv's
 *       bias and relu, then the pool, over samples still in cache, on the pool's threads.</li>
 * </ol>
 * A kernel is sealed as soon as a node outside it reads one of its values, which keeps the kernel
 * order (by last op) a valid schedule. A member read outside its kernel, or returned, is written to
 * memory; every other member lives in a register only.
 */
public final class FuseKernels {
    private final boolean fuse;
    private final Map<Node, Kernel> owner = new HashMap<>();
    private final List<Kernel> kernels = new ArrayList<>();

    private FuseKernels(boolean fuse) {
        this.fuse = fuse;
    }

    /**
     * @param schedule the nodes of one entry point, in topological order
     * @param roots    values the entry point returns or keeps (outputs, loss, gradients)
     * @param fuse     false gives one kernel per op (the unfused baseline, {@code --no-fuse})
     */
    public static List<Kernel> run(List<Node> schedule, Collection<Node> roots, boolean fuse) {
        FuseKernels f = new FuseKernels(fuse);
        for (Node n : schedule) f.place(n);
        f.connect(schedule, new HashSet<>(roots));
        List<Kernel> out = new ArrayList<>(f.kernels);
        out.sort(Comparator.comparingInt(k -> k.ops().stream().mapToInt(Node::id).max().orElse(-1)));
        return out;
    }

    /** True when a node is data, not computation: no kernel of its own. */
    static boolean isValue(Node n) {
        return n.op().family() == Op.Family.SOURCE && n.op() != Op.DROPOUT_MASK || n.op() == Op.RESHAPE;
    }

    private void place(Node x) {
        if (isValue(x)) return;
        Kernel k;
        switch (x.op().family()) {
            case GEMM -> k = open(Kernel.gemm(x));
            case WINDOW -> {
                Node in = x.input(0);
                Kernel g = openKernelOf(in, x);
                if (x.op().def().fusesPerSample() && g != null && g.rowTail() == null && g.members().contains(in)
                        && g.space().equals(in.shape()) && in.shape().batchFirst()) {
                    g.setRowTail(x); // a pool of the samples this loop has just computed, chunk by chunk
                    g.sealed = true;
                    k = g;
                } else {
                    k = open(Kernel.rowwise(x)); // a pool or its gradient, kept whole
                }
            }
            case LOOP -> {
                if (x.op() == Op.LOOP_OUT) { // a further result of the reverse loop that computes its input
                    k = owner.get(x.input(0));
                    k.parts().add(x);
                } else {
                    k = open(Kernel.recurrent(x, fuse));
                }
            }
            case ROWWISE -> {
                Kernel g = openKernelOf(x.input(0), x);
                Node in = x.input(0);
                if (g != null && g.rowTail() == null && g.space().equals(in.shape()) && in.shape().rank() >= 1
                        && (g.members().contains(in) || g.gemm() == in)) {
                    g.setRowTail(x); // rows of a value this kernel just computed
                    g.sealed = true;
                    k = g;
                } else {
                    k = open(Kernel.rowwise(x));
                }
            }
            case REDUCTION -> {
                Node in = x.input(0);
                Kernel g = openKernelOf(in, x);
                if (g != null && (g.members().contains(in) || g.gemm() == in) && g.space().equals(in.shape())) {
                    k = g;
                } else {
                    k = open(Kernel.loop(in.shape()));
                }
                k.reductions().add(x);
            }
            default -> { // elementwise, broadcast, unfused masks
                List<Kernel> joinable = new ArrayList<>();
                for (Node in : x.inputs()) {
                    Kernel g = openKernelOf(in, x);
                    if (g != null && !joinable.contains(g) && g.space().equals(x.shape())
                            && (g.members().contains(in) || g.gemm() == in)
                            && x.inputs().stream().noneMatch(g.reductions()::contains)
                            && x.inputs().stream().noneMatch(i -> i != source(i) && owner.get(source(i)) == g)) {
                        joinable.add(g);
                    }
                }
                if (joinable.isEmpty()) {
                    k = open(Kernel.loop(x.shape()));
                } else {
                    k = joinable.stream().filter(g -> g.gemm() != null).findFirst().orElse(joinable.getFirst());
                    for (Kernel other : joinable) {
                        if (other != k && other.gemm() == null && other.reductions().isEmpty()) merge(other, k);
                    }
                }
                k.members().add(x);
            }
        }
        owner.put(x, k);
        if (!fuse) k.sealed = true;
        for (Node in : x.inputs()) {
            Kernel other = owner.get(source(in));
            if (other != null && other != k) other.sealed = true;
            if (in != source(in) && other != null) other.sealed = true; // read through a view: must be stored
        }
    }

    /**
     * Two open loops over the same space that a node reads from become one: neither has been read
     * outside itself yet, so the merged kernel can run at the later one's place.
     */
    private void merge(Kernel from, Kernel into) {
        List<Node> all = new ArrayList<>(into.members());
        all.addAll(from.members());
        all.sort(Comparator.comparingInt(Node::id));
        into.members().clear();
        into.members().addAll(all);
        for (Node n : from.members()) owner.put(n, into);
        kernels.remove(from);
    }

    private Kernel open(Kernel k) {
        kernels.add(k);
        return k;
    }

    /** The unsealed kernel computing {@code in}, if {@code x} may join it. */
    private Kernel openKernelOf(Node in, Node x) {
        if (!fuse || in != source(in)) return null;
        Kernel g = owner.get(in);
        return g == null || g.sealed ? null : g;
    }

    /** A view's storage is its source's. */
    public static Node source(Node n) {
        while (n.op() == Op.RESHAPE) n = n.input(0);
        return n;
    }

    /** Fills every kernel's inputs (read from memory) and outputs (written to memory). */
    private void connect(List<Node> schedule, Set<Node> roots) {
        Map<Node, Set<Kernel>> readers = new HashMap<>();
        for (Kernel k : kernels) {
            for (Node op : k.ops()) {
                for (Node in : op.inputs()) {
                    if (k.computes(in)) continue;
                    k.addInput(in);
                    readers.computeIfAbsent(source(in), z -> new HashSet<>()).add(k);
                }
            }
        }
        for (Node root : roots) readers.computeIfAbsent(source(root), z -> new HashSet<>()).add(null);
        for (Kernel k : kernels) {
            for (Node op : k.ops()) {
                boolean stored = op == k.gemm() || op == k.rowwise() || op == k.rowTail() || op == k.recurrence()
                        || k.parts().contains(op)
                        || (k.rowTail() != null && op == k.rowTail().input(0)) // the tail reads its rows from memory
                        || k.reductions().contains(op)
                        || readers.getOrDefault(op, Set.of()).stream().anyMatch(r -> r != k);
                if (stored) k.addOutput(op);
                if (op == k.gemm()) {
                    // another kernel reads it, or it is returned (a null reader)
                    k.productEscapes = readers.getOrDefault(op, Set.of()).stream().anyMatch(r -> r != k);
                }
            }
        }
    }
}
