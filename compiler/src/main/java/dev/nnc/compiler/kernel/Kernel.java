package dev.nnc.compiler.kernel;

import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One kernel of a schedule: what one generated method computes in one pass.
 *
 * <ul>
 *   <li>a loop kernel: a loop nest over {@link #space()} computing {@link #members()} (elementwise,
 *       broadcast and dropout-mask nodes) in registers, and accumulating {@link #reductions()};</li>
 *   <li>a GEMM kernel: the matrix product {@link #gemm()}, then the members as its epilogue over
 *       the product's shape;</li>
 *   <li>a product kernel may also be a convolution or one of its gradients (a call of the runtime's
 *       {@code Conv}), with the epilogue as a loop over its output;</li>
 *   <li>a whole kernel: one op of the ROWWISE family (softmax, losses) or of the WINDOW family
 *       (pools), kept whole ({@link #rowwise()}).</li>
 * </ul>
 * Inputs are the nodes it reads from memory; outputs the nodes it writes (those used by later
 * kernels or returned).
 */
public final class Kernel {
    private final Node gemm;
    private final Node rowwise;
    /** A recurrence (LOOP or LOOP_GRAD) and its plan; its LOOP_OUT results in {@link #parts()}. */
    private Node recurrence;
    private LoopPlan loopPlan;
    private final List<Node> parts = new ArrayList<>();
    private Placement placement;
    private final Shape space;
    private Node rowTail;
    boolean productEscapes;
    private final List<Node> members = new ArrayList<>();
    private final List<Node> reductions = new ArrayList<>();
    private final Set<Node> inputs = new LinkedHashSet<>();
    private final Set<Node> outputs = new LinkedHashSet<>();
    boolean sealed;

    private Kernel(Node gemm, Node rowwise, Shape space) {
        this.gemm = gemm;
        this.rowwise = rowwise;
        this.space = space;
    }

    static Kernel loop(Shape space) {
        return new Kernel(null, null, space);
    }

    static Kernel gemm(Node matmul) {
        return new Kernel(matmul, null, matmul.shape());
    }

    static Kernel rowwise(Node n) {
        Kernel k = new Kernel(null, n, n.shape());
        k.sealed = true;
        return k;
    }

    /** A recurrence: one loop over t around its body's kernels ({@link LoopPlan}). */
    static Kernel recurrent(Node n, boolean fuse) {
        Kernel k = new Kernel(null, null, n.shape());
        k.recurrence = n;
        k.loopPlan = new LoopPlan(n, fuse);
        k.sealed = true;
        return k;
    }

    /**
     * What kind of kernel this is; code generation and reports switch over it, so a new kind is
     * a compile error wherever it is not handled.
     */
    public sealed interface Kind permits LoopNest, Product, Whole, Recurrence {
    }

    /** A loop nest over {@link #space()}: elementwise members in registers, reductions accumulated. */
    public record LoopNest() implements Kind {
    }

    /** A product (matmul, or a convolution or one of its gradients), its epilogue after it. */
    public record Product(Node product) implements Kind {
    }

    /** One op kept whole, from a loop skeleton: row-wise (softmax, losses) or a window (pools). */
    public record Whole(Node op) implements Kind {
    }

    /** A recurrence: one loop over t around its body's kernels. */
    public record Recurrence(Node loop, LoopPlan plan) implements Kind {
    }

    public Kind kind() {
        if (recurrence != null) return new Recurrence(recurrence, loopPlan);
        if (rowwise != null) return new Whole(rowwise);
        if (gemm != null) return new Product(gemm);
        return new LoopNest();
    }

    /** Where the kernel runs ({@link PlaceKernels}); null before that pass. */
    public Placement placement() {
        return placement;
    }

    void place(Placement p) {
        placement = p;
    }

    /** The LOOP or LOOP_GRAD this kernel runs; null for other kernels. */
    public Node recurrence() {
        return recurrence;
    }

    /** The plan of the recurrence's body; null for other kernels. */
    public LoopPlan loopPlan() {
        return loopPlan;
    }

    /** The LOOP_OUT results of a LOOP_GRAD, computed by its reverse loop. */
    public List<Node> parts() {
        return parts;
    }

    public Node gemm() {
        return gemm;
    }

    public Node rowwise() {
        return rowwise;
    }

    public Shape space() {
        return space;
    }

    /**
     * A row-wise op (softmax, log_softmax, cross_entropy) run at the end of this kernel over rows of
     * a value it has just computed, while they are still in cache; null when there is none.
     */
    public Node rowTail() {
        return rowTail;
    }

    void setRowTail(Node n) {
        rowTail = n;
    }

    public List<Node> members() {
        return members;
    }

    public List<Node> reductions() {
        return reductions;
    }

    public List<Node> inputs() {
        return List.copyOf(inputs);
    }

    public List<Node> outputs() {
        return List.copyOf(outputs);
    }

    /** Every node this kernel computes, in order. */
    public List<Node> ops() {
        List<Node> all = new ArrayList<>();
        if (gemm != null) all.add(gemm);
        if (rowwise != null) all.add(rowwise);
        if (recurrence != null) all.add(recurrence);
        all.addAll(parts);
        all.addAll(members);
        all.addAll(reductions);
        if (rowTail != null) all.add(rowTail);
        return all;
    }

    /**
     * True when the kernel is a product whose epilogue runs per finished tile of it, on the thread
     * that computed the tile ({@code Gemm.Epilogue}): it has elementwise members or sums down the
     * columns, and no row tail (which needs whole rows and sums across them).
     */
    public boolean tileEpilogue() {
        if (gemm == null || gemm.op() != Op.MATMUL || rowTail != null || members.isEmpty() && reductions.isEmpty()) {
            return false;
        }
        for (Node r : reductions) {
            int[] axes = r.attrs(dev.nnc.compiler.ir.Attrs.Axes.class).axes();
            if (space.rank() != 2 || axes.length != 1 || axes[0] != 0) return false;
        }
        return true;
    }

    /**
     * Scratch elements per batch row the kernel's product needs while it runs (a convolution's
     * im2col matrix; {@code OpDef.workPerRow}); PlanMemory gives it a buffer live in this kernel only.
     */
    public long workPerRow() {
        if (loopPlan != null) return loopPlan.batchedWork();
        return gemm == null ? 0 : gemm.op().def().workPerRow(gemm);
    }

    /** Fixed-size scratch elements the kernel needs while it runs (a recurrence's carried sums and body temporaries). */
    public long workFixed() {
        return loopPlan == null ? 0 : loopPlan.fixedWork();
    }

    /** Whether a later kernel (or the caller) reads the product itself, not only this epilogue. */
    public boolean productEscapes() {
        return productEscapes;
    }

    public boolean computes(Node n) {
        return n == gemm || n == rowwise || n == rowTail || n == recurrence || parts.contains(n) || members.contains(n)
                || reductions.contains(n);
    }

    void addInput(Node n) {
        inputs.add(n);
    }

    void addOutput(Node n) {
        outputs.add(n);
    }

    /**
     * The kernel's name in the plan: its ops camel-cased (at most three; {@code d} in front for the
     * backward pass), then the .nn name of what it computes last ({@code matmulAddReluH}).
     * Code generation starts from it (adding a number where two kernels would share it); inspect
     * shows it as is.
     */
    public String name() {
        List<Node> named = ops().stream().filter(o -> o.op() != Op.BROADCAST || ops().size() == 1).toList();
        StringBuilder sb = new StringBuilder();
        if (backward()) sb.append("d");
        int count = 0;
        for (Node o : named) {
            String part = dev.nnc.compiler.emit.JavaNames.capitalize(dev.nnc.compiler.emit.JavaNames.camel(o.op().key()));
            if (sb.indexOf(part) >= 0) continue;
            if (count++ == 3) break;
            sb.append(part);
        }
        String base = sb.length() > 0 ? Character.toLowerCase(sb.charAt(0)) + sb.substring(1) : "kernel";
        Node last = outputs.isEmpty() ? ops().getLast() : outputs().getLast();
        return base + (last.label() != null && !last.backward()
                ? dev.nnc.compiler.emit.JavaNames.capitalize(dev.nnc.compiler.emit.JavaNames.camel(last.label())) : "");
    }

    /** A short name for the kernel: its last named op, or its ops. */
    public String title() {
        return ops().stream().map(n -> n.op().key()).collect(Collectors.joining("+"));
    }

    /** Source lines of the .nn code its ops come from, ascending. */
    public List<Integer> lines() {
        return ops().stream().map(n -> n.pos().line()).filter(l -> l > 0).distinct().sorted().toList();
    }

    public boolean backward() {
        return ops().stream().allMatch(Node::backward);
    }

    /** Estimated floating-point operations for a batch of {@code n} rows. */
    public long flops(int n) {
        long f = 0;
        for (Node op : ops()) f += op.op().def().flops(op, n); // each op's cost (OpDef.flops)
        return f;
    }

    /**
     * Estimated bytes read and written for a batch of {@code n} rows: the inputs read from memory
     * and the outputs written to it. A product consumed only by its tile epilogue is not counted:
     * each tile is transformed while in cache and only the epilogue's outputs go to memory.
     */
    public long bytes(int n, int elementBytes) {
        long e = 0;
        for (Node in : inputs) e += in.op() == Op.CONST ? 0 : size(in.shape(), n);
        for (Node out : outputs) {
            if (out == gemm && tileEpilogue() && !productEscapes) continue;
            e += size(out.shape(), n);
        }
        return e * elementBytes;
    }

    static long size(Shape s, int n) {
        long v = 1;
        for (int d : s.dims()) v *= dim(d, n);
        return v;
    }

    private static long dim(int d, int n) {
        return d == Shape.BATCH ? n : d;
    }

    @Override
    public String toString() {
        return title() + " " + space;
    }
}
