package dev.nnc.compiler.report;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.api.SourceFile;
import dev.nnc.compiler.ir.ModelIr;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.kernel.FuseKernels;
import dev.nnc.compiler.kernel.Kernel;
import dev.nnc.compiler.kernel.ModelPlan;
import dev.nnc.compiler.emit.jvm.UpdateSteps;
import dev.nnc.compiler.kernel.PlanMemory;
import dev.nnc.templates.Templates;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What {@code nnc inspect --stage fused|memory} prints, as text, JSON or Graphviz dot: the kernels
 * of the training step (or of predict with {@code --mode inference}) and their memory plan,
 * with the same figures for the unfused, unplanned baseline.
 */
public final class PlanReport {
    /** The optimizer's unfused steps (read for the unfused update's figures); null without training. */
    private final UpdateSteps steps;
    private final ModelPlan plan;
    private final ModelPlan baseline;
    private final ModelIr model;
    private final int batch;
    private final int elementBytes;
    private final boolean training;

    public PlanReport(ModelIr m, SourceFile source, CompileOptions options, String version, int batch) {
        this.model = m;
        this.plan = dev.nnc.compiler.emit.jvm.JavaCodegen.planOf(m, options);
        this.steps = m.optimizer() == null || !plan.options().training() ? null
                : UpdateSteps.of(Templates.backend("jvm"), m.optimizer(), stepVars(m.optimizer()));
        this.training = plan.train() != null;
        this.baseline = new ModelPlan(m, new ModelPlan.Options(false, false, training));
        this.batch = batch;
        this.elementBytes = options.dtype() == CompileOptions.Precision.F64 ? 8 : 4;
    }

    /** The entry point reported: the training step, or predict in inference mode. */
    private ModelPlan.Entry entry(ModelPlan p) {
        return training ? p.train() : p.predict();
    }

    /** The numbers the README reports for one model and mode. */
    public record Figures(int kernels, int unfusedKernels, long arenaBytes, long naiveBytes, long peakLiveBytes,
            long bytesMoved, long unfusedBytesMoved, long flops, long updateBytes, long unfusedUpdateBytes) {
        public double kernelRatio() {
            return (double) kernels / unfusedKernels;
        }

        public double arenaRatio() {
            return (double) arenaBytes / naiveBytes;
        }

        public double peakRatio() {
            return (double) arenaBytes / peakLiveBytes;
        }

        public double bytesRatio() {
            return (double) bytesMoved / unfusedBytesMoved;
        }

        /** The same ratio without the optimizer update: forward and backward kernels only. */
        public double passBytesRatio() {
            return (double) (bytesMoved - updateBytes) / (unfusedBytesMoved - unfusedUpdateBytes);
        }

        /** Bytes moved by the update, fused (one loop) / unfused (one loop per operation and tensor). */
        public double updateBytesRatio() {
            return unfusedUpdateBytes == 0 ? Double.NaN : (double) updateBytes / unfusedUpdateBytes;
        }
    }

    public Figures figures() {
        ModelPlan.Entry e = entry(plan);
        ModelPlan.Entry u = entry(baseline);
        boolean fused = plan.options().fuse(); // without fusion the model's own update is the unfused one
        int unfusedUpdate = training ? unfusedUpdateLoops() : 0;
        int update = training ? (fused ? 1 : unfusedUpdate) : 0;
        long unfusedUpdateBytes = training ? unfusedUpdateBytes() : 0;
        long updateBytes = training ? (fused ? updateBytes() : unfusedUpdateBytes) : 0;
        return new Figures(e.kernels().size() + update, u.kernels().size() + unfusedUpdate,
                arena(e), arena(u), peak(e), moved(e) + updateBytes, moved(u) + unfusedUpdateBytes,
                e.kernels().stream().mapToLong(k -> k.flops(batch)).sum(), updateBytes, unfusedUpdateBytes);
    }

    private boolean l2(ModelIr.Param p) {
        return model.optimizer().l2() > 0 && p.weight();
    }

    /** Loops of the unfused update: one per operation of the optimizer's steps and parameter tensor. */
    private int unfusedUpdateLoops() {
        return model.params().stream().mapToInt(p -> steps.forTensor(l2(p)).size()).sum();
    }

    /** Each unfused loop reads its operands and writes its target, over one tensor. */
    private long unfusedUpdateBytes() {
        return model.params().stream()
                .mapToLong(p -> steps.elementsMoved(p.node().shape().staticSize(), l2(p))).sum() * elementBytes;
    }

    /** Parameters, gradients and optimizer state read and written once by the update loop. */
    private long updateBytes() {
        long params = model.params().stream().mapToLong(p -> p.node().shape().staticSize()).sum();
        return params * (3 + 2L * UpdateSteps.stateSlots(model.optimizer())) * elementBytes;
    }

    /**
     * The planned activation arenas. Feeds and outputs are excluded from arena, naive sum and peak
     * alike: they have fixed places shared by all entry points ({@link #globalBytes()}) and the
     * same size with or without planning.
     */
    private long arena(ModelPlan.Entry e) {
        return e.memory().arenaBytes(batch, elementBytes);
    }

    private long peak(ModelPlan.Entry e) {
        return e.memory().peakBytes(batch, elementBytes);
    }

    /** Bytes of the feeds and outputs, which live outside the planned arenas. */
    public long globalBytes() {
        long b = 0;
        for (ModelIr.Feed f : model.feeds()) {
            if (f.node().type() == Node.Type.FLOAT) b += size(f.node());
        }
        for (ModelIr.Output o : model.outputs()) {
            Node s = FuseKernels.source(o.node());
            if (s.op() != dev.nnc.compiler.ir.Op.INPUT && s.op() != dev.nnc.compiler.ir.Op.PARAM) b += size(s);
        }
        return b * elementBytes;
    }

    private long size(Node n) {
        return (long) n.shape().staticSize() * (n.shape().batched() ? batch : 1);
    }

    private long moved(ModelPlan.Entry e) {
        return e.kernels().stream().mapToLong(k -> k.bytes(batch, elementBytes)).sum();
    }

    // ---- fused stage ----

    public String fusedText() {
        ModelPlan.Entry e = entry(plan);
        Figures f = figures();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "model %s, %s, batch %d: %d kernels (unfused: %d, ratio %.2f), "
                + "%.1f MFLOP, %.2f MB moved (unfused: %.2f MB, ratio %.2f%s)%n", model.name(),
                training ? "training step" : "predict", batch, f.kernels(), f.unfusedKernels(), f.kernelRatio(),
                f.flops() / 1e6, f.bytesMoved() / 1e6, f.unfusedBytesMoved() / 1e6, f.bytesRatio(),
                training ? String.format(Locale.ROOT, "; forward and backward %.2f, update %.2f", f.passBytesRatio(),
                        f.updateBytesRatio()) : ""));
        int i = 0;
        for (Kernel k : e.kernels()) {
            if (training && i == e.backwardStart()) sb.append("-- backward --\n");
            sb.append(String.format(Locale.ROOT, "%3d %-28s %s%s%n", i++, k.name(),
                    k.ops().stream().map(o -> o.op().key()).collect(Collectors.joining(" + ")),
                    runsOn(k).equals("caller") ? "" : "   [" + runsOn(k) + "]"));
            sb.append(String.format(Locale.ROOT, "      lines %s   %s -> %s   %.2f MFLOP  %.1f KB%n",
                    k.lines(), tensors(k.inputs()), outputs(k), k.flops(batch) / 1e6,
                    k.bytes(batch, elementBytes) / 1024.0));
        }
        int values = model.params().stream().mapToInt(p -> p.node().shape().staticSize()).sum();
        if (training && plan.options().fuse()) {
            sb.append(String.format(Locale.ROOT, "%3d %-28s %s over all %d parameter values, %.1f KB (unfused: %d loops,"
                    + " one per operation and parameter tensor, %.1f KB)%n", i, "update", model.optimizer().kind(),
                    values, f.updateBytes() / 1024.0, unfusedUpdateLoops(), f.unfusedUpdateBytes() / 1024.0));
        } else if (training) {
            sb.append(String.format(Locale.ROOT, "%3d %-28s %s over %d parameter values, unfused: %d loops, one per "
                    + "operation and parameter tensor, %.1f KB%n", i, "update", model.optimizer().kind(), values,
                    unfusedUpdateLoops(), f.unfusedUpdateBytes() / 1024.0));
        }
        return sb.toString();
    }

    /**
     * Where the kernel's elementwise work runs: "tiles" (a product's epilogue, per finished tile on
     * the pool), "chunks" (a loop over chunks of rows on the pool) or "caller" (the calling thread;
     * a product alone still runs on the pool).
     */
    private static String runsOn(Kernel k) {
        return k.placement().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The kernel's outputs; a product that only its tile epilogue reads is marked "in cache". */
    private String outputs(Kernel k) {
        return k.outputs().stream().map(n -> displayName(n) + n.shape()
                + (n == k.gemm() && k.tileEpilogue() && !k.productEscapes() ? " (tiles, in cache)" : ""))
                .collect(Collectors.joining(", ", "[", "]"));
    }

    private String tensors(List<Node> ns) {
        return ns.stream().map(n -> displayName(n) + n.shape()).collect(Collectors.joining(", ", "[", "]"));
    }

    /** The tensor's .nn name when it has one, else the generated code's; its .nn name when there is one. */
    private static String nnName(Node n) {
        if (n.attrs() instanceof dev.nnc.compiler.ir.Attrs.Declared d) return d.name();
        return n.label() != null && !n.backward() ? n.label() : null;
    }

    /**
     * A tensor as people read it: its .nn spelling ({@code class}, {@code record.weight}), with the
     * Java identifier after a slash where that is not just the camel-cased name ({@code class/class0});
     * tensors without a .nn name by their Java identifier ({@code matmul4}).
     */
    private static String displayName(Node n) {
        String nn = nnName(n);
        return nn != null ? nn : planName(n);
    }

    /** A tensor without a .nn name: its op and id, as the generated code starts naming it ({@code matmul14}). */
    private static String planName(Node n) {
        String op = dev.nnc.compiler.emit.JavaNames.camel(n.op().key());
        return (n.backward() ? "d" + dev.nnc.compiler.emit.JavaNames.capitalize(op) : op) + n.id();
    }

    /** Template variables for the optimizer's steps: the hyper-parameters as plain numbers. */
    private static java.util.Map<String, String> stepVars(ModelIr.Optimizer opt) {
        java.util.Map<String, String> v = new java.util.HashMap<>();
        v.put("T", "float");
        v.put("cast", "");
        v.put("l2", "l2");
        v.put("Rng", "Rng");
        v.put("Arrays", "Arrays");
        for (var e : opt.args().entrySet()) v.put(e.getKey(), Double.toString(e.getValue()));
        return v;
    }

    /** {@code {"model": …, "entry": …, "batch": …,} the fields every JSON report starts with. */
    private StringBuilder jsonHeader() {
        StringBuilder sb = new StringBuilder("{\n");
        sb.append("  \"model\": ").append(q(model.name())).append(",\n");
        sb.append("  \"entry\": ").append(q(training ? "train" : "predict")).append(",\n");
        sb.append("  \"batch\": ").append(batch).append(",\n");
        return sb;
    }

    public String fusedJson() {
        ModelPlan.Entry e = entry(plan);
        Figures f = figures();
        StringBuilder sb = jsonHeader();
        sb.append("  \"kernel_count\": ").append(f.kernels()).append(",\n");
        sb.append("  \"unfused_kernel_count\": ").append(f.unfusedKernels()).append(",\n");
        sb.append("  \"bytes_moved\": ").append(f.bytesMoved()).append(",\n");
        sb.append("  \"unfused_bytes_moved\": ").append(f.unfusedBytesMoved()).append(",\n");
        sb.append("  \"update_bytes_moved\": ").append(f.updateBytes()).append(",\n");
        sb.append("  \"unfused_update_bytes_moved\": ").append(f.unfusedUpdateBytes()).append(",\n");
        sb.append("  \"flops\": ").append(f.flops()).append(",\n");
        sb.append("  \"kernels\": [");
        int i = 0;
        for (Kernel k : e.kernels()) {
            sb.append(i == 0 ? "\n" : ",\n");
            sb.append("    {\"index\": ").append(i).append(", \"name\": ").append(q(k.name()))
                    .append(", \"backward\": ").append(i >= e.backwardStart())
                    .append(", \"ops\": ").append(list(k.ops().stream().map(o -> q(o.op().key())).toList()))
                    .append(", \"lines\": ").append(k.lines())
                    .append(", \"inputs\": ").append(tensorsJson(k.inputs()))
                    .append(", \"outputs\": ").append(tensorsJson(k.outputs()))
                    .append(", \"tile_epilogue\": ").append(k.tileEpilogue())
                    .append(", \"runs_on\": ").append(q(runsOn(k)))
                    .append(", \"flops\": ").append(k.flops(batch))
                    .append(", \"bytes\": ").append(k.bytes(batch, elementBytes)).append('}');
            i++;
        }
        sb.append("\n  ]\n}\n");
        return sb.toString();
    }

    private String tensorsJson(List<Node> ns) {
        return list(ns.stream().map(n -> "{\"name\": " + q(displayName(n)) + ", \"shape\": "
                + q(n.shape().toString()) + "}").toList());
    }

    // ---- memory stage ----

    public String memoryText() {
        ModelPlan.Entry e = entry(plan);
        Figures f = figures();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "model %s, %s, batch %d, %d-byte elements%n", model.name(),
                training ? "training step" : "predict", batch, elementBytes));
        sb.append(String.format(Locale.ROOT, "activation arena %,d bytes; naive sum %,d bytes (ratio %.3f); peak "
                + "live %,d bytes (arena / peak %.3f); feeds and outputs %,d bytes besides%n", f.arenaBytes(),
                f.naiveBytes(), f.arenaRatio(), f.peakLiveBytes(), f.peakRatio(), globalBytes()));
        sb.append(String.format("%-8s %14s %14s %-10s %s%n", "arena", "offset", "bytes", "live", "tensors"));
        for (Buffer b : buffers(e)) {
            sb.append(String.format(Locale.ROOT, "%-8s %,14d %,14d %-10s %s%n", b.arena, b.offset, b.bytes,
                    "[" + b.start + ", " + b.end + "]", String.join(", ", b.tensors)));
        }
        return sb.toString();
    }

    public String memoryJson() {
        ModelPlan.Entry e = entry(plan);
        Figures f = figures();
        StringBuilder sb = jsonHeader();
        sb.append("  \"arena_bytes\": ").append(f.arenaBytes()).append(",\n");
        sb.append("  \"naive_bytes\": ").append(f.naiveBytes()).append(",\n");
        sb.append("  \"peak_live_bytes\": ").append(f.peakLiveBytes()).append(",\n");
        sb.append("  \"feeds_outputs_bytes\": ").append(globalBytes()).append(",\n");
        sb.append("  \"buffers\": [");
        int i = 0;
        for (Buffer b : buffers(e)) {
            sb.append(i++ == 0 ? "\n" : ",\n");
            sb.append("    {\"arena\": ").append(q(b.arena)).append(", \"offset\": ").append(b.offset)
                    .append(", \"bytes\": ").append(b.bytes).append(", \"live\": [").append(b.start).append(", ")
                    .append(b.end).append("], \"tensors\": ").append(list(b.tensors.stream().map(PlanReport::q)
                            .toList())).append('}');
        }
        sb.append("\n  ]\n}\n");
        return sb.toString();
    }

    private record Buffer(String arena, long offset, long bytes, int start, int end, List<String> tensors) {
    }

    /** Planned buffers by arena and offset, for a batch of {@code batch} rows. */
    private List<Buffer> buffers(ModelPlan.Entry e) {
        PlanMemory.Result mem = e.memory();
        Map<PlanMemory.Slot, List<String>> names = new HashMap<>();
        for (PlanMemory.Slot s : mem.offsets().keySet()) {
            names.put(s, s.tensors().isEmpty() ? List.of("(scratch of a kernel)")
                    : s.tensors().stream().map(PlanReport::displayName).toList());
        }
        List<Buffer> out = new ArrayList<>();
        for (var en : mem.offsets().entrySet()) {
            PlanMemory.Slot s = en.getKey();
            long scale = s.batched() ? batch : 1;
            out.add(new Buffer(s.batched() ? "batch" : "fixed", en.getValue() * scale * elementBytes,
                    s.size() * scale * elementBytes, s.start(), s.end(), names.get(s)));
        }
        out.sort((a, b) -> a.arena.equals(b.arena) ? Long.compare(a.offset, b.offset) : a.arena.compareTo(b.arena));
        return out;
    }

    // ---- graph ----

    /** Graphviz: IR nodes of the reported entry point, fused kernels as clusters. */
    public String dot() {
        ModelPlan.Entry e = entry(plan);
        StringBuilder sb = new StringBuilder("digraph \"" + model.name() + "\" {\n  rankdir=TB;\n"
                + "  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n");
        int i = 0;
        for (Kernel k : e.kernels()) {
            sb.append("  subgraph cluster_").append(i++).append(" {\n    label=\"")
                    .append(k.name()).append("\"; style=rounded; color=")
                    .append(i - 1 >= e.backwardStart() ? "firebrick" : "steelblue").append(";\n");
            for (Node n : k.ops()) {
                sb.append("    n").append(n.id()).append(" [label=\"").append(n.op().key()).append("\\n")
                        .append(n.shape()).append("\"];\n");
            }
            sb.append("  }\n");
        }
        for (Node n : e.nodes()) {
            boolean inKernel = e.kernels().stream().anyMatch(k -> k.computes(n));
            if (!inKernel && (n.op().family() == dev.nnc.compiler.ir.Op.Family.SOURCE
                    || n.op() == dev.nnc.compiler.ir.Op.RESHAPE)) {
                String label = n.attrs() instanceof dev.nnc.compiler.ir.Attrs.Declared d ? d.name() : n.op().key();
                sb.append("  n").append(n.id()).append(" [shape=ellipse, label=\"").append(label.replace("\"", ""))
                        .append("\\n").append(n.shape()).append("\"];\n");
            }
            for (Node in : n.inputs()) {
                sb.append("  n").append(in.id()).append(" -> n").append(n.id()).append(";\n");
            }
        }
        return sb.append("}\n").toString();
    }

    static String q(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c < 32) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.append('"').toString();
    }

    private static String list(List<String> items) {
        return "[" + String.join(", ", items) + "]";
    }
}
