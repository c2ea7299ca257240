package dev.nnc.compiler.emit.jvm;

import com.palantir.javapoet.ArrayTypeName;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterSpec;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import dev.nnc.compiler.emit.JavaNames;
import dev.nnc.compiler.emit.JavaText;
import dev.nnc.compiler.ir.Attrs;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import dev.nnc.compiler.kernel.Kernel;
import dev.nnc.compiler.kernel.Placement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import javax.lang.model.element.Modifier;

/**
 * Writes a model class's kernels, one member per kind of kernel: a private static method over
 * primitive arrays (on the calling thread), a nested {@code Gemm.Epilogue} class (a product whose
 * epilogue runs per tile), a nested {@code Parallel.RangeBody} class (a loop over chunks of rows),
 * and the runtime {@code Conv} instances convolutions call. Kernels of the same structure are one
 * member: parameters are named by role and the text is the key.
 */
final class KernelWriter {
    private static final ClassName GEMM = ClassName.get(Jvm.RT, "Gemm");
    private static final ClassName CONV = ClassName.get(Jvm.RT, "Conv");
    private static final ClassName SUMS = ClassName.get(Jvm.RT, "Sums");
    private static final ClassName RNG = Jvm.RNG;
    private static final ClassName PARALLEL = Jvm.PARALLEL;
    private static final ClassName ARRAYS = Jvm.ARRAYS;

    /** The class being written: names, templates, the element type, the masks' order. */
    private final JavaCodegen gen;
    final Map<String, String> kernelByText = new HashMap<>();
    /** The kernel parameters the last {@link #loopBody} reads (arrays with their offsets, n, seed, step). */
    private final Set<String> bodyUses = new HashSet<>();
    /** The model's runtime Conv instances, by geometry. */
    private final Map<String, String> convByGeometry = new HashMap<>();
    final Map<Kernel, String> methodOf = new HashMap<>();
    /** Kernels that run on the calling thread: private static methods. */
    final List<MethodSpec> kernels = new ArrayList<>();
    /** Kernels that run on the pool (tile epilogues, loops over chunks of rows): their classes and instances. */
    final List<TypeSpec> kernelClasses = new ArrayList<>();
    final List<FieldSpec> kernelFields = new ArrayList<>();
    /** Constructor statements creating kernel instances that are sized by maxBatch. */
    final CodeBlock.Builder kernelInstances = CodeBlock.builder();

    KernelWriter(JavaCodegen gen) {
        this.gen = gen;
    }

    private static String type(ClassName c) {
        return Jvm.type(c);
    }

    private static CodeBlock withTypes(String text) {
        return Jvm.withTypes(text);
    }

    /**
     * A kernel's parameter list: the batch size (or row count), seed and step when it draws dropout
     * masks, then an array and an offset per input and per output.
     */
    record KernelSig(String batchParam, String batchArg, boolean masks, List<Node> inputs,
            List<String> inputNames, List<Node> outputs, List<String> outputNames, String conv, boolean work) {
    }

    KernelSig signature(Kernel k) {
        List<Node> ins = new ArrayList<>();
        for (Node in : k.inputs()) {
            if (Graph.isPlainConst(in) && k.rowwise() == null) continue; // inlined literal
            ins.add(in);
        }
        List<Node> outs = k.outputs();
        List<String> inNames = new ArrayList<>();
        List<String> outNames = new ArrayList<>();
        if (k.rowwise() != null) {
            inNames.addAll(rowwiseNames(k.rowwise()));
            outNames.add("out");
            // row-wise gen.templates name their operands; keep the op's input order
            ins = new ArrayList<>(k.rowwise().inputs());
        } else {
            // parameters named by role, so that kernels of the same structure are one method
            Node product = k.gemm();
            int in = 0;
            for (Node x : ins) {
                inNames.add(product != null && x == product.input(0) ? "a"
                        : product != null && x == product.input(1) ? "b" : "in" + in++);
            }
            int out = 0;
            for (Node y : outs) outNames.add(y == product ? "c" : "out" + out++);
        }
        String batchParam = null;
        String batchArg = null;
        if (k.rowwise() != null) {
            // a kernel on the pool counts samples (its chunks are chunks of samples), else its rows
            // (named n when it counts samples, like the batch elsewhere; rows when it counts rows
            // of the op's last axis)
            boolean samples = k.rowwise().op().def().rowsAreSamples() || k.placement() == Placement.CHUNKS;
            batchParam = samples ? "n" : "rows";
            batchArg = samples ? planeRows(k.rowwise()) : rowCount(k.rowwise());
        } else if (usesBatch(k)) {
            batchParam = "n";
            batchArg = "n";
        }
        boolean masks = k.members().stream().anyMatch(x -> x.op() == Op.DROPOUT_MASK
                || x.inputs().stream().anyMatch(i -> i.op() == Op.DROPOUT_MASK && !k.inputs().contains(i)));
        String conv = k.gemm() != null && k.gemm().op() != Op.MATMUL ? convInstance(k.gemm()) : null;
        return new KernelSig(batchParam, batchArg, masks, ins, inNames, outs, outNames, conv, k.workPerRow() > 0);
    }

    private static boolean usesBatch(Kernel k) {
        if (k.space().batched()) return true;
        for (Node in : k.inputs()) if (in.shape().batched()) return true;
        for (Node op : k.ops()) if (op.shape().batched()) return true;
        return false;
    }

    /** The names the op's loop skeleton gives its inputs ({@code OpDef.templateOperands}). */
    private static List<String> rowwiseNames(Node n) {
        List<String> names = n.op().def().templateOperands();
        if (names.size() != n.inputs().size()) throw new IllegalArgumentException("no skeleton operands for " + n.op());
        return names;
    }

    private String rowCount(Node n) {
        Node x = n.input(0);
        int cols = x.shape().dim(x.shape().rank() - 1);
        int rowsStatic = x.shape().staticSize() / cols;
        if (!x.shape().batched()) return Integer.toString(rowsStatic);
        return rowsStatic == 1 ? "n" : "n * " + rowsStatic;
    }

    /** Emits the kernel's method (once per distinct body) and returns its name. */
    String kernelMethod(Kernel k, KernelSig sig) {
        switch (k.placement()) {
            case TILES -> {
                return tileKernel(k, sig);
            }
            case CHUNKS -> {
                return k.rowwise() != null ? windowKernel(k, sig) : loopKernel(k, sig);
            }
            case CALLER -> {
                // a static method, below
            }
            case LOOP -> throw new IllegalStateException("a recurrence is emitted inline (emitLoop)");
        }
        MethodSpec.Builder b = MethodSpec.methodBuilder("KERNEL").addModifiers(Modifier.PRIVATE, Modifier.STATIC);
        addParameters(b, sig);
        b.addCode(body(k, sig));
        String key = b.build().toString();
        String existing = existingKernel(k, key);
        if (existing != null) return existing;
        String methodName = newKernelName(k, key, false);
        MethodSpec.Builder named = b.build().toBuilder();
        named.setName(methodName);
        named.addJavadoc(kernelDoc(k, sig));
        kernels.add(named.build());
        return methodName;
    }

    /** The kernel's parameters: batch size, seed and step, then an array and an offset per operand. */
    private List<ParameterSpec> parameters(KernelSig sig) {
        List<ParameterSpec> ps = new ArrayList<>();
        if (sig.batchParam() != null) ps.add(ParameterSpec.builder(TypeName.INT, sig.batchParam()).build());
        if (sig.masks()) {
            ps.add(ParameterSpec.builder(TypeName.LONG, "seed").build());
            ps.add(ParameterSpec.builder(TypeName.LONG, "step").build());
        }
        for (int i = 0; i < sig.inputs().size(); i++) {
            TypeName at = sig.inputs().get(i).type() == Node.Type.INT ? ArrayTypeName.of(TypeName.INT) : gen.arrayType;
            ps.add(ParameterSpec.builder(at, sig.inputNames().get(i)).build());
            ps.add(ParameterSpec.builder(TypeName.INT, sig.inputNames().get(i) + "Off").build());
        }
        for (int i = 0; i < sig.outputs().size(); i++) {
            ps.add(ParameterSpec.builder(gen.arrayType, sig.outputNames().get(i)).build());
            ps.add(ParameterSpec.builder(TypeName.INT, sig.outputNames().get(i) + "Off").build());
        }
        if (sig.conv() != null) ps.add(ParameterSpec.builder(CONV, "conv").build());
        if (sig.work()) {
            ps.add(ParameterSpec.builder(gen.arrayType, "work").build());
            ps.add(ParameterSpec.builder(TypeName.INT, "workOff").build());
        }
        return ps;
    }

    private void addParameters(MethodSpec.Builder b, KernelSig sig) {
        parameters(sig).forEach(b::addParameter);
    }

    /**
     * A product with a tile epilogue, as a small class: {@code compute} keeps the operands the
     * epilogue reads and starts the product; {@code block} is the epilogue over one finished tile, called by
     * the thread that computed it ({@code Gemm.Epilogue}). One instance per model, so a call
     * allocates nothing.
     */
    private String tileKernel(Kernel k, KernelSig sig) {
        Node g = k.gemm();
        String product = sig.outputNames().get(sig.outputs().indexOf(g));
        CodeBlock loops = loopBody(k, sig, LoopMode.TILE);
        MethodSpec.Builder block = MethodSpec.methodBuilder("block").addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC).addParameter(TypeName.INT, "r0").addParameter(TypeName.INT, "r1")
                .addParameter(TypeName.INT, "c0").addParameter(TypeName.INT, "c1").addCode(loops);
        MethodSpec.Builder run = MethodSpec.methodBuilder("compute")
                .addJavadoc("Keeps what the epilogue reads, then runs the product; {@link #block} follows per tile.\n");
        List<FieldSpec> fields = keepOperands(run, sig, Set.copyOf(bodyUses));
        run.addCode(reductionFills(k, sig));
        run.addCode(gemmCall(k, sig, CodeBlock.of("this, $L", !k.reductions().isEmpty())));
        String key = "tile " + run.build() + block.build();
        String existing = existingKernel(k, key);
        if (existing != null) return existing;
        String fieldName = newKernelName(k, key, true);
        String className = JavaNames.capitalize(fieldName);
        CodeBlock doc = CodeBlock.builder().add(kernelDoc(k, sig))
                .add("<p>The epilogue runs per finished tile of {@code $L}, on the thread that computed it$L.\n",
                        product, k.reductions().isEmpty() ? "" : " (tiles of whole columns: the sums run down them)")
                .build();
        kernelClasses.add(TypeSpec.classBuilder(className).addModifiers(Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                .addSuperinterface(GEMM.nestedClass("Epilogue")).addJavadoc(doc).addFields(fields)
                .addMethod(run.build()).addMethod(block.build()).build());
        addKernelInstance(fieldName, className, false);
        return fieldName;
    }

    /**
     * Fields for the kernel parameters that {@code body} reads, assigned at the start of {@code entry}
     * (which takes all the parameters): a pool kernel's worker-side method reads its operands there.
     */
    private List<FieldSpec> keepOperands(MethodSpec.Builder entry, KernelSig sig, Set<String> uses) {
        addParameters(entry, sig);
        List<FieldSpec> fields = new ArrayList<>();
        for (ParameterSpec p : parameters(sig)) {
            String array = p.name().endsWith("Off") ? p.name().substring(0, p.name().length() - 3) : p.name();
            if (!uses.contains(p.name()) && !(uses.contains(array) && sig.inputNames().contains(array)
                    || uses.contains(array) && sig.outputNames().contains(array))) {
                continue;
            }
            fields.add(FieldSpec.builder(p.type(), p.name(), Modifier.PRIVATE).build());
            entry.addStatement("this.$L = $L", p.name(), p.name());
        }
        return fields;
    }

    /** The model's one instance of a pool kernel class; created in the constructor when sized by maxBatch. */
    private void addKernelInstance(String fieldName, String className, boolean sizedByMaxBatch) {
        FieldSpec.Builder f = FieldSpec.builder(ClassName.get("", className), fieldName, Modifier.PRIVATE, Modifier.FINAL)
                .addJavadoc("Kernel {@link $L}: one instance, so a call allocates nothing.\n", className);
        if (sizedByMaxBatch) {
            kernelInstances.addStatement("this.$L = new $L(maxBatch)", fieldName, className);
        } else {
            f.initializer("new $L()", className);
        }
        kernelFields.add(f.build());
    }

    /** {@code " + 5"} for an offset, nothing for 0. */
    private static String plus(int offset) {
        return offset == 0 ? "" : offset + " + ";
    }

    /** The name already given to a kernel with the same text, recorded for {@code k}; null if none. */
    private String existingKernel(Kernel k, String key) {
        String existing = kernelByText.get(key);
        if (existing != null) methodOf.put(k, existing);
        return existing;
    }

    /**
     * A fresh name for {@code k}'s kernel, recorded under its text; with {@code withClass} the
     * capitalized name (its nested class) must be free too.
     */
    private String newKernelName(Kernel k, String key, boolean withClass) {
        String name = gen.ids.claimKernel(kernelName(k), withClass);
        kernelByText.put(key, name);
        methodOf.put(k, name);
        return name;
    }

    /** How a loop nest is emitted: whole, over one GEMM tile, or over chunks of rows on the pool. */
    private enum LoopMode { WHOLE, TILE, CHUNKS }

    /** Rows per chunk of a parallel loop: fixed, so sums do not depend on the number of threads. */
    private static final int CHUNK_ROWS = 16;

    /** Elements a parallel piece of a loop gets at least (smaller loops run on the calling thread). */
    private static final long PARALLEL_ELEMENTS = 1 << 14;

    /**
     * Sums that run down the rows (their output has no batch dimension) go to per-chunk partials:
     * offset and size of each in the kernel's {@code partials}, in kernel order.
     */
    private static Map<Node, int[]> partialLayout(Kernel k) {
        Map<Node, int[]> at = new LinkedHashMap<>();
        int off = 0;
        for (Node r : k.reductions()) {
            if (reducedStrides(r, k.space())[0] != 0) continue; // keeps the row: chunks write apart
            int size = r.shape().staticSize();
            at.put(r, new int[] {off, size});
            off += size;
        }
        return at;
    }

    /**
     * Values per chunk in {@code partials}: the sums' sizes, rounded up to 16 (64 bytes of floats)
     * so that two chunks never write the same cache line.
     */
    private static int partialStride(Map<Node, int[]> partial) {
        int size = partial.values().stream().mapToInt(a -> a[1]).sum();
        return (size + 15) / 16 * 16;
    }

    /** A pool kernel's {@code run(lo, hi)}: {@code body} over chunks lo..hi. */
    private static MethodSpec.Builder chunkRun(CodeBlock body) {
        return MethodSpec.methodBuilder("run").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                .addParameter(TypeName.INT, "lo").addParameter(TypeName.INT, "hi").addCode(body);
    }

    /**
     * Chunks of {@value #CHUNK_ROWS} rows of {@code perRow} elements per parallel piece: at least
     * {@link #PARALLEL_ELEMENTS} elements, else waking a thread costs more than the piece.
     */
    private static long chunkGrain(long perRow) {
        long chunk = CHUNK_ROWS * Math.max(1, perRow);
        return Math.max(1, (PARALLEL_ELEMENTS + chunk - 1) / chunk);
    }

    /**
     * A loop over rows as a small class run on the pool: {@code compute} keeps the operands, runs
     * the product if there is one, then the chunks of {@value #CHUNK_ROWS} rows in parallel
     * ({@code run(lo, hi)}: chunks lo..hi), and adds the chunks' partial sums in chunk order, so
     * the result does not depend on the number of threads. The epilogue of a forward convolution
     * with no sums down its rows runs inside the convolution instead, chunk by chunk right after
     * the chunk's samples, on the same thread ({@code Conv.forward(…, this)}): their outputs are
     * still in cache (a batch's conv1 output is 2.4 MB in LeNet5, past a core's L2).
     */
    private String loopKernel(Kernel k, KernelSig sig) {
        CodeBlock loops = loopBody(k, sig, LoopMode.CHUNKS);
        Map<Node, int[]> partial = partialLayout(k);
        int partialSize = partial.isEmpty() ? 0 : partialStride(partial);
        boolean inConv = k.gemm() != null && k.gemm().op() == Op.CONV2D && partial.isEmpty();
        MethodSpec.Builder chunk = chunkRun(loops);
        MethodSpec.Builder compute = MethodSpec.methodBuilder("compute")
                .addJavadoc(inConv ? "Keeps the operands, then runs the convolution, which runs each chunk of samples "
                        + "({@link #run})\nright after its samples.\n"
                        : "Keeps the operands, then runs the chunks of rows on the pool ({@link #run}).\n");
        List<FieldSpec> fields = keepOperands(compute, sig, Set.copyOf(bodyUses));
        compute.addCode(reductionFills(k, sig));
        if (inConv) {
            compute.addCode(convCall(k.gemm(), sig, "this"));
        } else {
            if (k.gemm() != null) compute.addCode(gemmCall(k, sig, null));
            compute.addStatement("int chunks = (n + $L) / $L", CHUNK_ROWS - 1, CHUNK_ROWS);
            if (partialSize > 0) compute.addStatement("$T.fill(partials, 0, chunks * $L, 0)", java.util.Arrays.class, partialSize);
            compute.addStatement("$T.forRange(chunks, $L, this)", PARALLEL, chunkGrain(k.space().staticSize()));
        }
        for (var e : partial.entrySet()) {
            String out = sig.outputNames().get(sig.outputs().indexOf(e.getKey()));
            int off = e.getValue()[0];
            int size = e.getValue()[1];
            compute.beginControlFlow("for (int chunk = 0; chunk < chunks; chunk++)");
            if (size == 1) {
                compute.addStatement("$L[$LOff] += partials[chunk * $L$L]", out, out, partialSize,
                        off == 0 ? "" : " + " + off);
            } else {
                compute.beginControlFlow("for (int o = 0; o < $L; o++)", size)
                        .addStatement("$L[$LOff + o] += partials[chunk * $L + $Lo]", out, out, partialSize, plus(off))
                        .endControlFlow();
            }
            compute.endControlFlow();
        }
        String key = "loop " + compute.build() + chunk.build();
        String existing = existingKernel(k, key);
        if (existing != null) return existing;
        String fieldName = newKernelName(k, key, true);
        String className = JavaNames.capitalize(fieldName);
        TypeSpec.Builder type = TypeSpec.classBuilder(className).addModifiers(Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                .addSuperinterface(PARALLEL.nestedClass("RangeBody"))
                .addJavadoc(CodeBlock.builder().add(kernelDoc(k, sig))
                        .add(inConv ? CodeBlock.of("<p>Runs on the pool in chunks of $L samples, each inside the convolution,"
                                + " right after\nthose samples, on the same thread.\n", CHUNK_ROWS)
                                : CodeBlock.of("<p>Runs on the pool in chunks of $L rows$L.\n", CHUNK_ROWS, partial.isEmpty() ? ""
                                : "; sums down the rows go to per-chunk partials, added in chunk order")).build())
                .addFields(fields);
        if (partialSize > 0) {
            int sums = partial.values().stream().mapToInt(a -> a[1]).sum();
            type.addField(FieldSpec.builder(gen.arrayType, "partials", Modifier.PRIVATE, Modifier.FINAL)
                    .addJavadoc("Partial sums of each chunk of rows ($L values, padded to $L): chunk c's at c * $L.\n",
                            sums, partialSize, partialSize).build());
            type.addMethod(MethodSpec.constructorBuilder().addParameter(TypeName.INT, "maxBatch")
                    .addStatement("partials = new $T[(maxBatch + $L) / $L * $L]", gen.jvm.t, CHUNK_ROWS - 1, CHUNK_ROWS,
                            partialSize).build());
        }
        addKernelInstance(fieldName, className, partialSize > 0);
        kernelClasses.add(type.addMethod(compute.build()).addMethod(chunk.build()).build());
        return fieldName;
    }

    /**
     * A window op over samples (a pool's gradient) as a small class run on the pool: chunks of
     * {@value #CHUNK_ROWS} samples, each the op's skeleton over its own planes (offsets moved to the
     * chunk's first sample). Chunks write disjoint samples, so the result does not depend on threads.
     */
    private String windowKernel(Kernel k, KernelSig sig) {
        Node op = k.rowwise();
        bodyUses.clear();
        List<String> names = new ArrayList<>(sig.inputNames());
        names.add("out");
        bodyUses.add(sig.batchParam());
        CodeBlock chunk = CodeBlock.builder()
                .beginControlFlow("for (int chunk = lo; chunk < hi; chunk++)")
                .add(perSampleChunk(op, names, sig.batchParam()))
                .endControlFlow().build();
        MethodSpec.Builder run = chunkRun(chunk);
        MethodSpec.Builder compute = MethodSpec.methodBuilder("compute")
                .addJavadoc("Keeps the operands, then runs the chunks of samples on the pool ({@link #run}).\n");
        List<FieldSpec> fields = keepOperands(compute, sig, Set.copyOf(bodyUses));
        compute.addStatement("$T.forRange(($N + $L) / $L, $L, this)", PARALLEL, sig.batchParam(), CHUNK_ROWS - 1,
                CHUNK_ROWS, chunkGrain(op.input(0).shape().staticSize()));
        String key = "window " + compute.build() + run.build();
        String existing = existingKernel(k, key);
        if (existing != null) return existing;
        String fieldName = newKernelName(k, key, true);
        String className = JavaNames.capitalize(fieldName);
        kernelClasses.add(TypeSpec.classBuilder(className).addModifiers(Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                .addSuperinterface(PARALLEL.nestedClass("RangeBody"))
                .addJavadoc(CodeBlock.builder().add(kernelDoc(k, sig))
                        .add("<p>Runs on the pool in chunks of $L samples.\n", CHUNK_ROWS).build())
                .addFields(fields).addMethod(compute.build()).addMethod(run.build()).build());
        addKernelInstance(fieldName, className, false);
        return fieldName;
    }

    /** {@code matmulAddRelu}: the kernel's plan name ({@link Kernel#name}); JavaNames makes it unique. */
    private static String kernelName(Kernel k) {
        return k.name();
    }

    private CodeBlock kernelDoc(Kernel k, KernelSig sig) {
        CodeBlock.Builder d = CodeBlock.builder();
        d.add("Fuses $L over $L.\n", k.ops().stream().map(o -> o.op().key()).collect(
                java.util.stream.Collectors.joining(", ")), k.space());
        for (int line : k.lines()) {
            d.add("<br>$L:$L: $L\n", JavaText.javadoc(gen.fileName()), line, JavaText.javadocCode(gen.source.line(line).strip()));
        }
        List<String> reads = new ArrayList<>();
        for (int i = 0; i < sig.inputs().size(); i++) {
            reads.add(sig.inputNames().get(i) + " = " + describeShort(sig.inputs().get(i)));
        }
        List<String> writes = new ArrayList<>();
        for (int i = 0; i < sig.outputs().size(); i++) {
            writes.add(sig.outputNames().get(i) + " = " + describeShort(sig.outputs().get(i)));
        }
        d.add("<br>Reads: $L; writes: $L (the tensors of its first call; kernels of the same structure are one "
                + "method).\n", reads.isEmpty() ? "nothing" : String.join(", ", reads), String.join(", ", writes));
        return d.build();
    }

    private String describeShort(Node n) {
        return gen.name(n) + " " + n.shape();
    }

    private CodeBlock body(Kernel k, KernelSig sig) {
        if (k.rowwise() != null) {
            List<String> names = new ArrayList<>(sig.inputNames());
            names.add("out");
            return withTypes(rowTemplate(k.rowwise(), names, names.stream().map(a -> a + "Off").toList(), sig.batchParam(),
                    sig.batchParam()));
        }
        CodeBlock.Builder code = CodeBlock.builder();
        if (k.gemm() != null) code.add(gemmCall(k, sig, null));
        StringBuilder sb = new StringBuilder();
        if (!k.members().isEmpty() || !k.reductions().isEmpty()) {
            code.add(reductionFills(k, sig)).add(loopBody(k, sig, LoopMode.WHOLE));
        }
        if (k.rowTail() != null) {
            Node tail = k.rowTail();
            List<String> names = tailNames(tail, sig);
            String rows = tail.op().def().rowsAreSamples() ? planeRows(tail) : rowCount(tail);
            sb.append(rowTemplate(tail, names, names.stream().map(a -> a + "Off").toList(), rows, rows));
        }
        return code.add(withTypes(sb.toString())).build();
    }

    /** The arrays of a row tail's inputs (the kernel's outputs or inputs) then of its output. */
    private static List<String> tailNames(Node tail, KernelSig sig) {
        List<String> names = new ArrayList<>();
        for (Node in : tail.inputs()) {
            int o = sig.outputs().indexOf(in);
            names.add(o >= 0 ? sig.outputNames().get(o) : sig.inputNames().get(sig.inputs().indexOf(in)));
        }
        names.add(sig.outputNames().get(sig.outputs().indexOf(tail)));
        return names;
    }

    /**
     * A per-sample op (a pool, a pool's gradient, a row-wise op with independent rows) over the
     * samples of chunk {@code chunk}: its operands' arrays {@code names} (inputs, then output) with
     * the batched ones' offsets moved to the chunk's first sample (a scalar operand, such as a
     * loss's incoming gradient, is read whole), its rows the chunk's samples (or their rows), of the
     * {@code batch} samples in all.
     */
    private CodeBlock perSampleChunk(Node op, List<String> names, String batch) {
        List<Node> operands = new ArrayList<>(op.inputs());
        operands.add(op);
        List<String> offsets = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            bodyUses.add(names.get(i));
            Shape s = operands.get(i).shape();
            String moved = s.staticSize() == 1 ? " + first" : " + first * " + s.staticSize();
            offsets.add(names.get(i) + "Off" + (s.batchFirst() ? moved : ""));
        }
        String rows = "samples";
        String batchRows = batch;
        if (!op.op().def().rowsAreSamples()) { // a row-wise op: rows of its input's last axis per sample
            Shape x = op.input(0).shape();
            int perSample = x.staticSize() / x.dim(x.rank() - 1);
            if (perSample != 1) {
                rows = "samples * " + perSample;
                batchRows = batch + " * " + perSample;
            }
        }
        return CodeBlock.builder()
                .addStatement("int first = chunk * $L", CHUNK_ROWS)
                .addStatement("int samples = Math.min($N - first, $L)", batch, CHUNK_ROWS)
                .add(withTypes(rowTemplate(op, names, offsets, rows, batchRows)))
                .build();
    }

    /**
     * A row-wise op's loop skeleton with its operands named: {@code names} are the arrays of the
     * op's inputs then its output (each with an {@code Off} offset), {@code rows} the rows it runs,
     * {@code batchRows} those of the whole batch (a mean's divisor; more than {@code rows} when the
     * skeleton runs one chunk of the batch).
     */
    private String rowTemplate(Node op, List<String> names, List<String> offsets, String rows, String batchRows) {
        Map<String, String> vars = gen.baseVars();
        Node x = op.input(0);
        vars.put("cols", Integer.toString(x.shape().rank() == 0 ? 1 : x.shape().dim(x.shape().rank() - 1)));
        vars.put("rows", rows);
        vars.put("batchRows", batchRows);
        // a row's exponentials (softmax, the cross-entropy gradient): FloatMath's in float kernels,
        // whose whole vectors RowLanes runs when the lanes are on (same bits), else Math's
        vars.put("exp", gen.f64 ? "Math.exp" : Jvm.type(Jvm.FLOAT_MATH) + ".exp");
        vars.put("expLanes", gen.f64 || gen.simd == null ? "0"
                : Jvm.type(SimdLoops.LANES) + ".ON ? " + Jvm.type(SimdLoops.ROW_LANES) + ".expShifted(" + names.get(0)
                        + ", in, max, " + names.get(names.size() - 1) + ", o, " + vars.get("cols") + ") : 0");
        vars.put("negInf", gen.f64 ? "Double.NEGATIVE_INFINITY" : "Float.NEGATIVE_INFINITY");
        vars.putAll(op.op().def().templateVars(op));
        List<String> roles = new ArrayList<>(rowwiseNames(op));
        roles.add("out");
        for (int i = 0; i < roles.size(); i++) {
            vars.put(roles.get(i), names.get(i));
            vars.put(roles.get(i) + "Off", offsets.get(i));
        }
        return gen.templates.skeleton(op.op().key(), vars);
    }

    /** {@code Gemm.matmul(...)} for the kernel's product, with {@code epilogueArgs} appended when given. */
    private CodeBlock gemmCall(Kernel k, KernelSig sig, CodeBlock epilogueArgs) {
        Node g = k.gemm();
        if (g.op() != Op.MATMUL) return convCall(g, sig, null);
        Node a = g.input(0);
        Node c = g.input(1);
        Attrs.Matmul t = g.attrs(Attrs.Matmul.class);
        String out = sig.outputNames().get(sig.outputs().indexOf(g));
        return CodeBlock.builder()
                .add("$T.matmul($N, $NOff, $L, $N, $NOff, $L, $N, $NOff, $L, $L, $L, false", GEMM, role(sig, a),
                        role(sig, a), t.transA(), role(sig, c), role(sig, c), t.transB(), out, out, dim(g.shape().dim(0)),
                        dim(g.shape().dim(1)), dim(t.transA() ? a.shape().dim(0) : a.shape().dim(1)))
                .add(epilogueArgs == null ? CodeBlock.of("") : CodeBlock.of(", $L", epilogueArgs))
                .add(");\n").build();
    }

    /**
     * {@code conv.forward(n, x, xOff, w, wOff, y, yOff, work, workOff);} for a convolution (or its
     * {@code inputGrad}, {@code weightGrad}): the runtime's {@code Conv} instance of this geometry
     * is the kernel's {@code conv} parameter, its scratch the planned {@code work}; with
     * {@code epilogue}, a forward pass that runs it per chunk of samples.
     */
    private CodeBlock convCall(Node g, KernelSig sig, String epilogue) {
        String method = switch (g.op()) {
            case CONV2D -> "forward";
            case CONV2D_INPUT_GRAD -> "inputGrad";
            case CONV2D_WEIGHT_GRAD -> "weightGrad";
            default -> throw new IllegalStateException("not a convolution: " + g.op());
        };
        String a = role(sig, g.input(0));
        String b = role(sig, g.input(1));
        String out = sig.outputNames().get(sig.outputs().indexOf(g));
        return CodeBlock.of("conv.$N(n, $N, $NOff, $N, $NOff, $N, $NOff, work, workOff$L);\n", method, a, a, b, b, out, out,
                epilogue == null ? "" : ", " + epilogue);
    }

    /** The parameter name of one of the kernel's inputs. */
    private static String role(KernelSig sig, Node in) {
        int i = sig.inputs().indexOf(in);
        if (i < 0) throw new IllegalStateException(in + " is not an input of the kernel");
        return sig.inputNames().get(i);
    }

    /** The geometry of a convolution node: input, weight and output shapes and the attributes. */
    private static int[] convGeometry(Node g) {
        Attrs.Conv a;
        Shape x;
        Shape w;
        Shape y;
        switch (g.op()) {
            case CONV2D -> {
                a = g.attrs(Attrs.Conv.class);
                x = g.input(0).shape();
                w = g.input(1).shape();
                y = g.shape();
            }
            case CONV2D_INPUT_GRAD -> {
                a = g.attrs(Attrs.ConvGrad.class).conv();
                x = g.shape();
                w = g.input(1).shape();
                y = g.input(0).shape();
            }
            default -> {
                a = g.attrs(Attrs.ConvGrad.class).conv();
                x = g.input(0).shape();
                w = g.shape();
                y = g.input(1).shape();
            }
        }
        return new int[] {x.dim(1), x.dim(2), x.dim(3), w.dim(0), w.dim(2), w.dim(3), a.strideH(), a.strideW(),
            a.padTop(), a.padLeft(), a.dilationH(), a.dilationW(), y.dim(2), y.dim(3)};
    }

    /** The model's {@code Conv} instance for this geometry (one per distinct geometry, made with the model). */
    private String convInstance(Node g) {
        String key = java.util.Arrays.toString(convGeometry(g));
        String existing = convByGeometry.get(key);
        if (existing != null) return existing;
        String name = gen.ids.claimKernel("conv2d", false);
        int[] geo = convGeometry(g);
        kernelFields.add(FieldSpec.builder(CONV, name, Modifier.PRIVATE, Modifier.FINAL)
                .addJavadoc("Convolution of [N, $L, $L, $L] by $L $Lx$L kernels (stride $Lx$L, padding $L, $L, dilation "
                        + "$Lx$L) into [N, $L, $L, $L].\n", geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6], geo[7],
                        geo[8], geo[9], geo[10], geo[11], geo[3], geo[12], geo[13])
                .initializer("new $T($L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L)", CONV, geo[0], geo[1],
                        geo[2], geo[3], geo[4], geo[5], geo[6], geo[7], geo[8], geo[9], geo[10], geo[11], geo[12], geo[13])
                .build());
        convByGeometry.put(key, name);
        return name;
    }

    /** Rows of a window kernel: the batch, or the leading dimension of an unbatched input. */
    private static String planeRows(Node n) {
        Shape x = n.input(0).shape();
        return x.dim(0) == Shape.BATCH ? "n" : Integer.toString(x.dim(0));
    }

    /** Zeroes the kernel's sums before it accumulates into them. */
    private CodeBlock reductionFills(Kernel k, KernelSig sig) {
        CodeBlock.Builder pre = CodeBlock.builder();
        for (Node r : k.reductions()) {
            String nm = sig.outputNames().get(sig.outputs().indexOf(r));
            pre.addStatement("$T.fill($N, $NOff, $NOff + $L, 0)", ARRAYS, nm, nm, nm, r.shape().sizeExpr("n"));
        }
        return pre.build();
    }

    private static String dim(int d) {
        return d == Shape.BATCH ? "n" : Integer.toString(d);
    }

    /**
     * The loop nest over the kernel's space: load every input element first (so an output may
     * overwrite an input in place), compute members in locals, store what is used outside,
     * accumulate reductions.
     */
    private CodeBlock loopBody(Kernel k, KernelSig sig, LoopMode mode) {
        bodyUses.clear();
        Map<Node, int[]> partial = mode == LoopMode.CHUNKS ? partialLayout(k) : Map.of();
        Shape space = k.space();
        List<int[]> strides = new ArrayList<>();
        strides.add(space.strides());
        List<Node> loaded = new ArrayList<>();
        List<String> loadedNames = new ArrayList<>();
        Set<Node> usedInLoop = new HashSet<>();
        for (Node mbr : k.members()) usedInLoop.addAll(mbr.inputs());
        for (Node r : k.reductions()) usedInLoop.addAll(r.inputs());
        for (int i = 0; i < sig.inputs().size(); i++) {
            Node in = sig.inputs().get(i);
            if (!usedInLoop.contains(in)) continue; // read by the GEMM only
            if (k.reductions().stream().anyMatch(r -> r.input(0) == in) && !in.shape().equals(space)) {
                throw new IllegalStateException("reduction input does not span the loop");
            }
            loaded.add(in);
            loadedNames.add(sig.inputNames().get(i));
            bodyUses.add(sig.inputNames().get(i));
            strides.add(broadcastStrides(in.shape(), space));
        }
        if (k.gemm() != null) {
            loaded.add(k.gemm());
            loadedNames.add(sig.outputNames().get(sig.outputs().indexOf(k.gemm())));
            bodyUses.add(sig.outputNames().get(sig.outputs().indexOf(k.gemm())));
            strides.add(space.strides());
        }
        List<Node> stored = new ArrayList<>();
        for (Node out : sig.outputs()) {
            if (out == k.gemm() || out == k.rowTail()) continue; // written by the GEMM, or by the row tail
            stored.add(out);
            strides.add(k.reductions().contains(out) ? reducedStrides(out, space) : space.strides());
        }
        // chunks of rows: dimension 0 runs over the chunk, the others whole, so they may merge
        LoopNest loops = new LoopNest(extents(space), strides,
                mode == LoopMode.WHOLE ? 0 : mode == LoopMode.CHUNKS ? 1 : Integer.MAX_VALUE);
        Map<Node, String> value = new HashMap<>();
        List<CodeBlock> body = new ArrayList<>();
        // the lane-parallel form of the innermost loop, while every statement has one (else null)
        LaneLoop lanes = gen.simd != null && loops.depth() > 0 ? new LaneLoop(loops) : null;
        for (int i = 0; i < loaded.size(); i++) {
            Node in = loaded.get(i);
            String arr = loadedNames.get(i);
            String local = "v" + value.size(); // numbered in order, so equal structures give equal text
            String idx = loops.index(i + 1, arr + "Off");
            body.add(CodeBlock.builder().addStatement("$L $N = $N[$L]", gen.typeName(), local, arr, idx).build());
            value.put(in, local);
            if (lanes != null) lanes = lanes.load(local, arr, idx, loops.innermostStride(i + 1));
        }
        for (Node mbr : k.members()) {
            String local = "v" + value.size();
            body.add(CodeBlock.builder().add("$L $N = ", gen.typeName(), local).add(withTypes(expression(mbr, value, loops)))
                    .add(";\n").build());
            value.put(mbr, local);
            if (lanes != null) lanes = lanes.define(local, lanes.expression(mbr, value));
        }
        int operand = loaded.size() + 1;
        // a partial sum along the innermost loop of a value the loop also stores: the loop only
        // stores it (so the loop has a lane form), and Sums.run adds up the stored run after it
        List<CodeBlock> after = new ArrayList<>();
        Map<Node, Integer> storedOperand = new HashMap<>();
        for (int j = 0; j < stored.size(); j++) {
            if (!k.reductions().contains(stored.get(j))) storedOperand.put(stored.get(j), operand + j);
        }
        for (Node out : stored) {
            String arr = sig.outputNames().get(sig.outputs().indexOf(out));
            String idx = loops.index(operand++, arr + "Off");
            int stride = loops.depth() == 0 ? 0 : loops.innermostStride(operand - 1);
            if (partial.containsKey(out)) { // this chunk's own partial sums, combined in chunk order later
                int[] at = partial.get(out);
                CodeBlock sum = withTypes(operandValue(out.input(0), value, loops));
                Integer run = storedOperand.get(out.input(0));
                if (at[1] == 1) { // a single sum: a local of the chunk, stored once at its end
                    body.add(CodeBlock.builder().add("acc$L += ", at[0]).add(sum).add(";\n").build());
                    lanes = null; // one sum along the loop: lanes would add in another order
                } else if (run != null && loops.depth() >= 2 && stride == 0 && loops.innermostStride(run) == 1) {
                    String src = sig.outputNames().get(sig.outputs().indexOf(out.input(0)));
                    String at0 = at[0] == 0 ? "" : " + " + at[0];
                    after.add(CodeBlock.builder().addStatement("partials[chunk * $L$L$L] += $T.run($N, $L, $L)",
                            partialStride(partial), at0, loops.index(operand - 1, ""), SUMS, src,
                            loops.rowStart(run, src + "Off"), loops.innermostExtent()).build());
                } else {
                    String at0 = at[0] == 0 ? "" : " + " + at[0];
                    String pIdx = "chunk * " + partialStride(partial) + at0 + loops.index(operand - 1, "");
                    body.add(CodeBlock.builder().add("partials[$L] += ", pIdx).add(sum).add(";\n").build());
                    if (lanes != null) {
                        lanes = lanes.accumulate("partials", pIdx, stride, lanes.operand(out.input(0), value, true));
                    }
                }
            } else if (k.reductions().contains(out)) {
                bodyUses.add(arr);
                body.add(CodeBlock.builder().add("$N[$L] += ", arr, idx)
                        .add(withTypes(operandValue(out.input(0), value, loops))).add(";\n").build());
                if (lanes != null) lanes = lanes.accumulate(arr, idx, stride, lanes.operand(out.input(0), value, true));
            } else {
                bodyUses.add(arr);
                body.add(CodeBlock.builder().addStatement("$N[$L] = $N", arr, idx, value.get(out)).build());
                if (lanes != null) lanes = lanes.store(arr, idx, stride, value.get(out));
            }
        }
        String[][] ranges = switch (mode) {
            case WHOLE -> null;
            case TILE -> new String[][] {{"r0", "r1"}, {"c0", "c1"}};
            case CHUNKS -> {
                List<String> ext = extents(space);
                String[][] r = new String[ext.size()][];
                r[0] = new String[] {"chunk * " + CHUNK_ROWS, "Math.min(n, chunk * " + CHUNK_ROWS + " + " + CHUNK_ROWS + ")"};
                for (int d = 1; d < r.length; d++) r[d] = new String[] {"0", ext.get(d)};
                yield r;
            }
        };
        if (!maskKeys(k).isEmpty()) {
            bodyUses.add("seed");
            bodyUses.add("step");
        }
        if (mode == LoopMode.CHUNKS || mode == LoopMode.WHOLE && extents(space).contains("n")) bodyUses.add("n");
        BiFunction<String, String, CodeBlock> start = lanes == null ? null : lanes.start(k);
        if (mode != LoopMode.CHUNKS) {
            return CodeBlock.builder().add(maskKeys(k)).add(loops.wrap(body, ranges, List.of(), start)).build();
        }
        CodeBlock.Builder chunk = CodeBlock.builder().add(maskKeys(k));
        chunk.beginControlFlow("for (int chunk = lo; chunk < hi; chunk++)");
        for (int[] at : partial.values()) {
            if (at[1] == 1) chunk.addStatement("$L acc$L = 0", gen.typeName(), at[0]);
        }
        chunk.add(loops.wrap(body, ranges, after, start));
        if (k.rowTail() != null) chunk.add(perSampleChunk(k.rowTail(), tailNames(k.rowTail(), sig), "n"));
        for (int[] at : partial.values()) {
            if (at[1] == 1) {
                chunk.addStatement("partials[chunk * $L$L] = acc$L", partialStride(partial),
                        at[0] == 0 ? "" : " + " + at[0], at[0]);
            }
        }
        return chunk.endControlFlow().build();
    }

    /** Strides of a reduction's output over the loop space: 0 on the reduced axes. */
    private static int[] reducedStrides(Node sum, Shape space) {
        int[] axes = sum.attrs(Attrs.Axes.class).axes();
        int[] outStrides = sum.shape().strides();
        int[] mapped = new int[space.rank()];
        int o = 0;
        for (int d = 0; d < space.rank(); d++) {
            boolean reduced = java.util.Arrays.binarySearch(axes, d) >= 0;
            mapped[d] = reduced ? 0 : outStrides[o++];
        }
        return mapped;
    }

    /**
     * The lane-parallel form of a loop body while it is built (see {@link SimdLoops}): one vector
     * step's statements, with the arrays and keys they read. Each method returns this, or null
     * when the statement has no lane-parallel form (then the kernel stays scalar).
     */
    private final class LaneLoop {
        private final LoopNest loops;
        private final List<CodeBlock> body = new ArrayList<>();
        private final LinkedHashMap<String, TypeName> params = new LinkedHashMap<>();
        private final ClassName vector = gen.simd.vectorType();
        /** The mask keys the lanes read, in name order. */
        private final Set<String> keys = new java.util.TreeSet<>();

        LaneLoop(LoopNest loops) {
            this.loops = loops;
        }

        private void array(String arr) {
            params.put(arr, gen.arrayType);
            params.put(arr + "Off", TypeName.INT);
        }

        /** {@code v0} = the vector at {@code idx} (stride 1) or its one element in every lane (stride 0). */
        LaneLoop load(String local, String arr, String idx, int stride) {
            if (stride == 1) {
                body.add(CodeBlock.builder().addStatement("$T $N = $T.fromArray($L, $N, $L)", vector, local, vector,
                        SimdLoops.SPECIES, arr, idx).build());
            } else if (stride == 0) {
                body.add(CodeBlock.builder().addStatement("$T $N = $T.broadcast($L, $N[$L])", vector, local, vector,
                        SimdLoops.SPECIES, arr, idx).build());
            } else {
                return null;
            }
            array(arr);
            return this;
        }

        LaneLoop define(String local, String expression) {
            if (expression == null) return null;
            body.add(CodeBlock.builder().add("$T $N = ", vector, local).add(withTypes(expression)).add(";\n").build());
            return this;
        }

        LaneLoop store(String arr, String idx, int stride, String local) {
            if (stride != 1) return null;
            body.add(CodeBlock.builder().addStatement("$N.intoArray($N, $L)", local, arr, idx).build());
            array(arr);
            return this;
        }

        /** {@code arr[idx…] += value}, lane by lane: each element still gets its one add per row. */
        LaneLoop accumulate(String arr, String idx, int stride, String value) {
            if (stride != 1 || value == null) return null;
            body.add(CodeBlock.builder().add("$T.fromArray($L, $N, $L).add(", vector, SimdLoops.SPECIES, arr, idx)
                    .add(withTypes(value)).add(").intoArray($N, $L);\n", arr, idx).build());
            if (arr.equals("partials")) {
                params.put("partials", gen.arrayType);
                params.put("chunk", TypeName.INT);
            } else {
                array(arr);
            }
            return this;
        }

        /**
         * Names the method in {@code Simd} and returns the innermost loop's start for the kernel,
         * {@code Lanes.ON ? Simd.name(i0, lo, hi, …) : lo}; null when the loop is too short for a vector.
         */
        BiFunction<String, String, CodeBlock> start(Kernel k) {
            String extent = loops.innermostExtent();
            if (extent.matches("[0-9]+") && Integer.parseInt(extent) < (gen.jvm.f64 ? 4 : 8)) return null;
            for (String key : keys) params.put(key, TypeName.INT);
            List<String> outer = new ArrayList<>();
            for (int d = 0; d < loops.depth() - 1; d++) outer.add("i" + d);
            String name = gen.simd.method(kernelName(k), outer, "i" + (loops.depth() - 1), params, body);
            List<String> args = new ArrayList<>(outer);
            return (lo, hi) -> {
                List<String> all = new ArrayList<>(args);
                all.add(lo);
                all.add(hi);
                all.addAll(params.keySet());
                // $W: JavaPoet breaks the line there when it passes 100 columns
                CodeBlock.Builder call = CodeBlock.builder()
                        .add("$T.ON$W? $L.$L(", SimdLoops.LANES, SimdLoops.CLASS, name);
                for (int a = 0; a < all.size(); a++) call.add(a == 0 ? "$L" : ",$W$L", all.get(a));
                return call.add(")$W: $L", lo).build();
            };
        }

        /**
         * The lane-parallel expression of an elementwise member ({@code jvm/vector.properties});
         * null if it has none.
         */
        String expression(Node n, Map<Node, String> value) {
            if (n.op() == Op.DROPOUT_MASK) return mask(n);
            if (!gen.templates.hasVector(n.op().key(), gen.jvm.typeName())) return null;
            Map<String, String> vars = gen.simd.vars();
            String[] names = {"a", "b"};
            for (int i = 0; i < n.inputs().size(); i++) {
                String v = operand(n.input(i), value, i == 0);
                if (v == null) return null;
                vars.put(names[i], v);
            }
            vars.put("alpha", gen.lit(n.attrs() instanceof Attrs.Scalar s ? s.value() : 0));
            return gen.templates.vector(n.op().key(), gen.jvm.typeName(), vars);
        }

        /**
         * An operand in a lane-parallel expression: a vector local (named as the scalar one), a dropout
         * mask's lanes, or a literal, broadcast when it is the receiver of the call ({@code receiver}).
         */
        String operand(Node in, Map<Node, String> value, boolean receiver) {
            String v = value.get(in);
            if (v != null) return v;
            if (Graph.isPlainConst(in)) {
                String lit = gen.lit(in.attrs(Attrs.Const.class).value());
                return receiver ? Jvm.type(gen.simd.vectorType()) + ".broadcast(" + SimdLoops.SPECIES + ", " + lit + ")" : lit;
            }
            if (in.op() == Op.DROPOUT_MASK) return mask(in);
            return null;
        }

        /**
         * A dropout mask's lanes ({@link KernelWriter#maskExpression}, a vector at a time); null
         * unless its index steps by 1.
         */
        private String mask(Node mask) {
            if (loops.innermostStride(0) != 1) return null;
            Map<String, String> vars = gen.simd.vars();
            vars.put("i", loops.index(0, "0"));
            vars.put("key", maskKey(mask));
            double rate = mask.attrs(Attrs.Dropout.class).rate();
            vars.put("threshold", Integer.toString(threshold(rate)));
            vars.put("scale", gen.lit(1 / (1 - rate)));
            keys.add(maskKey(mask));
            return gen.templates.vector("dropout_mask", gen.jvm.typeName(), vars);
        }
    }

    /** The scalar expression of an elementwise member, from the backend's template. */
    private String expression(Node n, Map<Node, String> value, LoopNest loops) {
        Map<String, String> vars = gen.baseVars();
        String[] names = {"a", "b"};
        for (int i = 0; i < n.inputs().size(); i++) {
            vars.put(names[i], operandValue(n.input(i), value, loops));
        }
        vars.put("alpha", gen.lit(n.attrs() instanceof Attrs.Scalar s ? s.value() : 0));
        if (n.op() == Op.DROPOUT_MASK) return maskExpression(n, loops);
        return "(" + gen.templates.scalar(n.op().key(), gen.jvm.typeName(), vars) + ")";
    }

    private String operandValue(Node in, Map<Node, String> value, LoopNest loops) {
        String v = value.get(in);
        if (v != null) return v;
        if (Graph.isPlainConst(in)) return gen.lit(in.attrs(Attrs.Const.class).value());
        if (in.op() == Op.DROPOUT_MASK) return maskExpression(in, loops);
        throw new IllegalStateException("operand " + in + " is not available in the kernel");
    }

    /**
     * A dropout mask element, drawn from (seed, step, mask, element): {@code Rng.dropKeep} (0 or 1,
     * without a branch; {@code LaneLoop.mask} is its lane form) of the mask's stream key
     * (declared before the loops, {@link #maskKeys}) and the rate's threshold, times the keep scale.
     */
    private String maskExpression(Node mask, LoopNest loops) {
        Map<String, String> vars = gen.baseVars();
        vars.put("i", loops.index(0, "0"));
        vars.put("key", maskKey(mask));
        double rate = mask.attrs(Attrs.Dropout.class).rate();
        vars.put("threshold", Integer.toString(threshold(rate)));
        vars.put("scale", gen.lit(1 / (1 - rate)));
        return "(" + gen.templates.scalar("dropout_mask", gen.jvm.typeName(), vars) + ")";
    }

    /** Same as {@code Rng.dropThreshold}: the compiler does not depend on the runtime. */
    private static int threshold(double rate) {
        return (int) Math.min(Integer.MAX_VALUE, (long) Math.ceil(rate * 0x1.0p31));
    }

    private String maskKey(Node mask) {
        return "dropKey" + gen.masks.indexOf(mask);
    }

    /** {@code int dropKey0 = Rng.dropKey(seed, step * 1 + 0);} for every mask the kernel draws. */
    private CodeBlock maskKeys(Kernel k) {
        Set<Node> used = new java.util.TreeSet<>(java.util.Comparator.comparingInt(Node::id));
        for (Node mbr : k.members()) {
            if (mbr.op() == Op.DROPOUT_MASK) used.add(mbr);
            for (Node in : mbr.inputs()) {
                if (in.op() == Op.DROPOUT_MASK && !k.inputs().contains(in)) used.add(in);
            }
        }
        CodeBlock.Builder b = CodeBlock.builder();
        for (Node mask : used) {
            b.addStatement("int $N = $T.dropKey(seed, step * $L + $L)", maskKey(mask), RNG, gen.masks.size(),
                    gen.masks.indexOf(mask));
        }
        return b.build();
    }

    private static List<String> extents(Shape s) {
        List<String> e = new ArrayList<>();
        for (int d : s.dims()) e.add(d == Shape.BATCH ? "n" : Integer.toString(d));
        return e;
    }

    /** Strides of {@code in} over the iteration space {@code out}: NumPy-aligned, 0 where broadcast. */
    static int[] broadcastStrides(Shape in, Shape out) {
        int[] st = in.strides();
        int[] r = new int[out.rank()];
        int lead = out.rank() - in.rank();
        for (int d = 0; d < out.rank(); d++) {
            int j = d - lead;
            r[d] = j < 0 || (in.dim(j) == 1 && out.dim(d) != 1) ? 0 : st[j];
        }
        return r;
    }

}
