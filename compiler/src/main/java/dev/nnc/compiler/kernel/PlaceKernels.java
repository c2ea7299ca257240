package dev.nnc.compiler.kernel;

import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import java.util.List;

/**
 * Pass PlaceKernels: kernel schedule → where each kernel runs ({@link Placement}).
 * Before: kernels with no placement. After: a product with an elementwise epilogue or sums down its
 * columns runs its epilogue per tile ({@code TILES}); any other loop over batch rows, a window op
 * over samples (a pool's gradient) and a row-wise op with independent rows (softmax, the
 * cross-entropy gradient) run in chunks of rows or samples on the pool ({@code CHUNKS}); a
 * recurrence is a {@code LOOP}; the rest runs on the caller.
 * It sits after fusion (it reads what each kernel fused) and before memory planning and code
 * generation, which both follow it.
 */
public final class PlaceKernels {
    private PlaceKernels() {
    }

    /** Places every kernel; returns true when any placement changed. */
    public static boolean run(List<Kernel> kernels) {
        boolean changed = false;
        for (Kernel k : kernels) {
            Placement p = placementOf(k);
            if (k.placement() != p) {
                k.place(p);
                changed = true;
            }
        }
        return changed;
    }

    static Placement placementOf(Kernel k) {
        return switch (k.kind()) {
            case Kernel.Recurrence r -> Placement.LOOP;
            case Kernel.Whole w -> samplewise(k) ? Placement.CHUNKS : Placement.CALLER;
            case Kernel.Product p -> k.tileEpilogue() ? Placement.TILES : rowLoop(k) ? Placement.CHUNKS : Placement.CALLER;
            case Kernel.LoopNest l -> rowLoop(k) ? Placement.CHUNKS : Placement.CALLER;
        };
    }

    /**
     * A window op (a pool or its gradient) over batched operands, or a row-wise op whose rows are
     * independent ({@code OpDef.rowsIndependent}: softmax, the cross-entropy gradient) over batched
     * operands and scalars: each sample's output reads that sample's rows only, so chunks of samples
     * run apart on the pool.
     */
    private static boolean samplewise(Kernel k) {
        Node op = k.rowwise();
        if (op == null || !op.shape().batchFirst()) return false;
        if (op.op().family() == Op.Family.WINDOW) return op.inputs().stream().allMatch(i -> i.shape().batchFirst());
        return op.op().def().rowsIndependent()
                && op.inputs().stream().allMatch(i -> i.shape().batchFirst() || i.shape().rank() == 0);
    }

    /** A loop over batch rows (the kernel's own, or the one after a product whose epilogue cannot run per tile). */
    private static boolean rowLoop(Kernel k) {
        if (k.rowTail() != null && !k.rowTail().op().def().fusesPerSample()) return false; // a row op runs whole
        if (k.members().isEmpty() && k.reductions().isEmpty()) return false;
        return k.space().batchFirst();
    }
}
