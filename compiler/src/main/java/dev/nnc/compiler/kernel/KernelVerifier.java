package dev.nnc.compiler.kernel;

import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks the invariants of the kernel level (docs/ir/kernels.md): schedule order, loop spaces,
 * and that no two buffers live at the same time share memory. Tests run it on every plan.
 */
public final class KernelVerifier {
    private KernelVerifier() {
    }

    public static List<String> verify(ModelPlan plan) {
        return verify(plan.entries());
    }

    public static List<String> verify(List<ModelPlan.Entry> entries) {
        List<String> bad = new ArrayList<>();
        for (ModelPlan.Entry e : entries) {
            bad.addAll(verifySchedule(e.name(), e.kernels()));
            overlaps(e, bad);
        }
        return bad;
    }

    /** The schedule's invariants alone (order, loop spaces), for the passes before memory planning. */
    public static List<String> verifySchedule(String name, List<Kernel> kernels) {
        List<String> bad = new ArrayList<>();
        record E(String name) {
        }
        E e = new E(name);
        {
            Set<Node> written = new HashSet<>();
            for (int i = 0; i < kernels.size(); i++) {
                Kernel k = kernels.get(i);
                for (Node in : k.inputs()) {
                    Node src = FuseKernels.source(in);
                    boolean value = src.op() == Op.INPUT || src.op() == Op.PARAM || src.op() == Op.CONST
                            || src.op() == Op.DROPOUT_MASK;
                    if (!value && !written.contains(src)) {
                        bad.add(e.name() + " kernel " + i + " (" + k.title() + ") reads " + in + " before it is written");
                    }
                }
                for (Node m : k.members()) {
                    if (!m.shape().equals(k.space())) bad.add(e.name() + " kernel " + i + ": member " + m + " has shape "
                            + m.shape() + ", the loop runs over " + k.space());
                }
                for (Node r : k.reductions()) {
                    if (!r.input(0).shape().equals(k.space())) bad.add(e.name() + " kernel " + i + ": reduction " + r
                            + " does not span the loop");
                }
                written.addAll(k.outputs());
            }
        }
        return bad;
    }

    /** Planned slots that are live at the same time must not overlap. */
    private static void overlaps(ModelPlan.Entry e, List<String> bad) {
        PlanMemory.Result mem = e.memory();
        List<PlanMemory.Slot> slots = new ArrayList<>(mem.offsets().keySet());
        for (int a = 0; a < slots.size(); a++) {
            for (int b = a + 1; b < slots.size(); b++) {
                PlanMemory.Slot x = slots.get(a);
                PlanMemory.Slot y = slots.get(b);
                if (x.batched() != y.batched() || x.size() == 0 || y.size() == 0) continue;
                boolean time = x.start() <= y.end() && y.start() <= x.end();
                long xo = mem.offsets().get(x);
                long yo = mem.offsets().get(y);
                boolean space = xo < yo + y.size() && yo < xo + x.size();
                if (time && space) {
                    bad.add(e.name() + ": " + x.tensors() + " and " + y.tensors() + " share memory while both live");
                }
            }
        }
    }
}
