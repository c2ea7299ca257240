package dev.nnc.compiler.pipeline;

import java.util.List;

/**
 * The compiler's passes, in order, each with the reason it sits where it does. Graph passes run
 * once per model ({@code api.Nnc}); schedule passes once per entry point of a model
 * ({@code kernel.ModelPlan}: predict, loss, the training step, and the body of every loop). Each
 * reports whether it changed anything to a {@link Listener}; tests run the graph and kernel
 * verifiers there after every pass, and {@code nnc inspect --stage passes} prints the log. Code
 * generation reads the final plan and decides nothing.
 */
public final class Pipeline {
    private Pipeline() {
    }

    /** Where a pass works. */
    public enum Level { GRAPH, SCHEDULE }

    /** One pass: its name (as {@code --passes} and the log spell it), its level, and why it sits here. */
    public record Pass(String name, Level level, String reason) {
    }

    public static final Pass LOWER = new Pass("lower", Level.GRAPH,
            "AST to graph: names resolved, shapes checked, layers lowered to primitive ops; everything after reads IR");
    public static final Pass SIMPLIFY = new Pass("simplify", Level.GRAPH,
            "algebraic rewrites of the forward graph, before autodiff, so the backward graph derives from the stable form");
    public static final Pass AUTODIFF = new Pass("autodiff", Level.GRAPH,
            "appends the backward graph (one reverse loop per recurrence); needs the final forward graph");
    public static final Pass CHECK_SIZES = new Pass("check-sizes", Level.GRAPH,
            "activations per batch row must fit one Java array: checked on the finished graph, before anything is planned");
    public static final Pass FUSE = new Pass("fuse", Level.SCHEDULE,
            "node schedule to kernels: elementwise chains, epilogues, row tails, sums; needs the finished graph");
    public static final Pass ORDER = new Pass("order", Level.SCHEDULE,
            "reorders kernels for the lowest peak of live bytes; needs the kernels, and memory planning needs the order");
    public static final Pass PLACE = new Pass("place", Level.SCHEDULE,
            "decides where each kernel runs (caller, tiles, chunks of rows, a loop over t); reads what fusion made");
    public static final Pass PLAN_MEMORY = new Pass("plan-memory", Level.SCHEDULE,
            "liveness over the final order, offsets in the arenas, in-place reuse, kernels' scratch; the last pass");

    public static final Pass LAYOUT = new Pass("layout", Level.SCHEDULE,
            "places shared by every entry point (parameters, constants, feeds, outputs, gradients); needs every entry's plan");

    /** Every pass, in the order they run. */
    public static final List<Pass> PASSES = List.of(LOWER, SIMPLIFY, AUTODIFF, CHECK_SIZES, FUSE, ORDER, PLACE,
            PLAN_MEMORY, LAYOUT);

    /** Told after every pass: which, on what (a model, or an entry point of one), and whether it changed it. */
    @FunctionalInterface
    public interface Listener {
        /**
         * @param stage the model ({@code ir.ModelIr}) after a graph pass, or the entry point's kernels
         *              ({@code List<kernel.Kernel>}, or the {@code kernel.ModelPlan.Entry} after plan-memory)
         */
        void after(Pass pass, String where, Object stage, boolean changed);

        Listener NONE = (pass, where, stage, changed) -> { };
    }
}
