package dev.nnc.compiler.emit.jvm;

import com.palantir.javapoet.ArrayTypeName;
import com.palantir.javapoet.AnnotationSpec;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.JavaFile;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterizedTypeName;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.api.GeneratedSource;
import dev.nnc.compiler.api.SourceFile;
import dev.nnc.compiler.emit.JavaNames;
import dev.nnc.compiler.emit.JavaText;
import dev.nnc.compiler.ir.Attrs;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.ModelIr;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.kernel.Kernel;
import dev.nnc.compiler.kernel.ModelPlan;
import dev.nnc.compiler.kernel.PlanMemory;
import dev.nnc.compiler.kernel.Placement;
import dev.nnc.templates.Templates;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.lang.model.element.Modifier;

/**
 * IR → one Java class implementing {@code dev.nnc.runtime.CompiledModel}. Kernels are private
 * static methods over primitive arrays whose bodies come from {@code codegen-templates}; the
 * entry points call them in schedule order. Storage: parameters, gradients and optimizer state in
 * flat arrays, batch-sized activations in {@code arena}, batch-independent ones in {@code fixed}.
 */
public final class JavaCodegen {
    private static final String RT = "dev.nnc.runtime";
    private static final ClassName FLOAT_MODEL = ClassName.get(RT, "FloatModel");
    private static final ClassName DOUBLE_MODEL = ClassName.get(RT, "DoubleModel");
    private static final ClassName BATCH = ClassName.get(RT, "Batch");
    private static final ClassName TENSOR_INFO = ClassName.get(RT, "TensorInfo");
    private static final ClassName ROLE = ClassName.get(RT, "TensorInfo", "Role");
    private static final ClassName DTYPE = ClassName.get(RT, "DType");
    private static final ClassName GEMM = ClassName.get(RT, "Gemm");
    private static final ClassName CONV = ClassName.get(RT, "Conv");
    private static final ClassName STEPS = ClassName.get(RT, "Steps");
    private static final ClassName INIT = ClassName.get(RT, "Init");
    private static final ClassName RNG = ClassName.get(RT, "Rng");
    private static final ClassName PARALLEL = ClassName.get(RT, "Parallel");
    private static final ClassName FEEDS = ClassName.get(RT, "Feeds");
    private static final ClassName GENERATED = ClassName.get("javax.annotation.processing", "Generated");

    /** Where a tensor lives: an array field and an offset expression. */
    record Loc(String array, String offset) {
    }

    private final ModelIr m;
    final SourceFile source;
    private final CompileOptions options;
    private final String version;
    final boolean f64;
    /** The element type's helpers, shared with the other writers. */
    final Jvm jvm;
    /** Writes the optimizer update (made once the parameters are laid out). */
    private UpdateWriter update;
    /** Writes the kernels. */
    private final KernelWriter kernelWriter = new KernelWriter(this);
    private final TypeName t;
    final ArrayTypeName arrayType;
    final Templates templates = Templates.backend("jvm");
    /** The lane-parallel loops (nested class {@code Simd}); null when compiled without vector loops. */
    final SimdLoops simd;
    private final ModelPlan plan;
    private final boolean trainable;
    private final Map<Node, Loc> global = new LinkedHashMap<>();
    private final Map<Node, String> names = new HashMap<>();
    /** Every identifier derived from a .nn name comes from here (docs/security.md). */
    final JavaNames ids = new JavaNames();
    private final String className;
    private final Map<ModelIr.Param, Integer> paramOffsets = new LinkedHashMap<>();
    /** Where the entry points of loop bodies start (see {@link #bases}). */
    private final Map<ModelPlan.Entry, long[]> entryBases = new HashMap<>();
    /** Buffers of loop bodies' placeholders: the step's slices, carried values, invariants where they live. */
    private final Map<Node, Loc> bodyLocs = new HashMap<>();
    /** The kernel parameters the last {@link #loopBody} reads (arrays with their offsets, n, seed, step). */
    /** The model's runtime Conv instances, by geometry. */
    /** Kernels that run on the pool (tile epilogues, loops over chunks of rows): their classes and instances. */
    private UpdateSteps updateSteps;
    /** Constructor statements creating kernel instances that are sized by maxBatch. */
    private final List<FieldSpec> offsetFields = new ArrayList<>();
    private final CodeBlock.Builder offsetInit = CodeBlock.builder();
    private final List<Node> perBatchConsts = new ArrayList<>();
    final List<Node> masks = new ArrayList<>();
    private final List<Map.Entry<ModelIr.Param, Node>> gradCopies = new ArrayList<>();
    private long arenaPerRow;
    private long arenaBase;
    private int fixedBase;
    private long fixedSize;
    private int paramCount;

    private JavaCodegen(ModelPlan plan, SourceFile source, CompileOptions options, String version, String className) {
        this.m = plan.model();
        this.className = className;
        this.source = source;
        this.options = options;
        this.version = version;
        this.f64 = options.dtype() == CompileOptions.Precision.F64;
        this.t = f64 ? TypeName.DOUBLE : TypeName.FLOAT;
        this.arrayType = ArrayTypeName.of(t);
        this.jvm = new Jvm(f64);
        this.simd = options.vectorLoops() ? new SimdLoops(jvm) : null;
        this.trainable = plan.options().training();
        this.plan = plan;
    }

    /** The plan code generation reads for a model: every schedule pass of the pipeline, in order. */
    public static ModelPlan planOf(ModelIr m, CompileOptions options) {
        boolean training = m.trainable() && options.mode() == CompileOptions.Mode.TRAIN;
        return new ModelPlan(m, new ModelPlan.Options(options.fuse(), options.plan(), training));
    }

    /**
     * Generates the class of a planned model under {@code className} (a valid, unreserved name:
     * see {@link JavaNames#className}); reads the plan, decides nothing about it.
     */
    public static GeneratedSource generate(ModelPlan plan, SourceFile source, CompileOptions options, String version,
            String className) {
        return new JavaCodegen(plan, source, options, version, className).run();
    }

    private GeneratedSource run() {
        ids.take(className); // a nested kernel class or a member must not take the model's own name
        layoutParams();
        update = new UpdateWriter(m, jvm, templates, paramOffsets);
        layoutGlobals();
        TypeSpec.Builder cls = TypeSpec.classBuilder(className)
                .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
                .superclass(f64 ? DOUBLE_MODEL : FLOAT_MODEL)
                .addAnnotation(AnnotationSpec.builder(GENERATED)
                        .addMember("value", "$S", "nnc " + version)
                        .addMember("comments", "$L", JavaText.literal("from " + fileName())).build())
                .addJavadoc(classDoc());
        addConstants(cls);
        if (trainable) update.addL2Segments(cls);
        addFields(cls);
        // the entry points first: generating them creates the kernels, which the constructor sizes
        MethodSpec predict = runMethod("forwardPredict", "Forward pass in inference mode: outputs only.",
                plan.predict());
        MethodSpec loss = plan.loss() == null ? unsupported("forwardLoss", TypeName.DOUBLE,
                "model " + m.name() + " has no loss; it can only predict")
                : runMethod("forwardLoss", "Forward pass in inference mode: outputs and data loss.", plan.loss());
        MethodSpec training = trainable ? trainingMethod() : null;
        cls.addMethod(constructor());
        addOutputLocations(cls);
        cls.addMethod(loadMethod());
        cls.addMethod(predict);
        cls.addMethod(loss);
        if (trainable) {
            cls.addMethod(training);
            update.addTo(cls, options.fuse());
        } else {
            String why = m.trainable() ? "model " + m.name() + " was compiled with --mode inference; it can only predict"
                    : "model " + m.name() + " has no loss; it can only predict";
            cls.addMethod(unsupported("runTraining", TypeName.DOUBLE, why).toBuilder()
                    .addParameter(TypeName.BOOLEAN, "withGradients").build());
            cls.addMethod(unsupported("update", TypeName.VOID, why));
        }
        kernelWriter.kernels.forEach(cls::addMethod);
        kernelWriter.kernelFields.forEach(cls::addField);
        kernelWriter.kernelClasses.forEach(cls::addType);
        if (simd != null && !simd.isEmpty()) {
            cls.addType(simd.type());
            cls.addJavadoc("<p>Its elementwise loops also run on the JDK Vector API ({@link $L}), when the JVM\n"
                    + "has {@code jdk.incubator.vector}. Compile this file with {@code javac --release 25} or\n"
                    + "{@code --add-modules jdk.incubator.vector}; {@code nnc compile --no-vector-loops} writes it\n"
                    + "without them.\n", SimdLoops.CLASS);
        }
        JavaFile file = JavaFile.builder(options.packageName(), cls.build())
                .skipJavaLangImports(true).indent("    ").build();
        return new GeneratedSource(options.packageName(), className, file.toString());
    }

    String fileName() {
        return Path.of(m.sourceFile()).getFileName().toString();
    }

    // ---- layout ----

    /** The parameters' places, from the plan's layout. */
    private void layoutParams() {
        dev.nnc.compiler.kernel.Layout layout = plan.layout();
        paramOffsets.putAll(layout.paramOffsets());
        for (var e : paramOffsets.entrySet()) global.put(e.getKey().node(), new Loc("params", Integer.toString(e.getValue())));
        paramCount = layout.paramCount();
    }

    /**
     * The places every entry point shares, from the plan's layout ({@link dev.nnc.compiler.kernel.Layout}):
     * constants, feeds and outputs (a field with its offset for each batch-sized one), gradients
     * written straight into {@code grads}.
     */
    private void layoutGlobals() {
        dev.nnc.compiler.kernel.Layout layout = plan.layout();
        for (Node c : layout.consts()) global.put(c, fixedLoc(layout.globals().get(c)));
        perBatchConsts.addAll(layout.perBatchConsts());
        for (ModelIr.Feed f : m.feeds()) global.put(f.node(), globalLoc(f.node(), layout.globals().get(f.node())));
        for (ModelIr.Output o : m.outputs()) {
            Node src = dev.nnc.compiler.kernel.FuseKernels.source(o.node());
            if (!global.containsKey(src)) global.put(src, globalLoc(src, layout.globals().get(src)));
        }
        arenaBase = layout.batchedBase();
        fixedBase = (int) layout.fixedBase();
        arenaPerRow = layout.arenaPerRow();
        fixedSize = layout.fixedSize();
        for (Node g : plan.claimedGrads()) {
            global.put(g, new Loc("grads", Long.toString(layout.globals().get(g).offset())));
        }
        gradCopies.addAll(layout.gradCopies());
        masks.addAll(layout.masks());
    }

    private static Loc fixedLoc(dev.nnc.compiler.kernel.Layout.Place p) {
        return new Loc("fixed", Long.toString(p.offset()));
    }

    /** A feed's or output's place as code: its own array (integer feeds), a field holding its arena offset, or fixed. */
    private Loc globalLoc(Node n, dev.nnc.compiler.kernel.Layout.Place p) {
        return switch (p.region()) {
            case INT_FEED -> new Loc(feedField(n), "0");
            case BATCHED -> {
                String field = name(n) + "Off";
                offsetFields.add(FieldSpec.builder(TypeName.INT, field, Modifier.PRIVATE, Modifier.FINAL)
                        .addJavadoc("$L $L.\n", JavaText.javadoc(describe(n)), n.shape()).build());
                offsetInit.addStatement("this.$N = $L * maxBatch", field, p.offset());
                yield new Loc("arena", field);
            }
            case FIXED -> fixedLoc(p);
            case PARAMS, GRADS -> throw new IllegalStateException("not a feed or output place: " + p);
        };
    }

    /** Where {@code n} lives while entry point {@code e} runs. */
    private Loc loc(ModelPlan.Entry e, Node n) {
        Node src = dev.nnc.compiler.kernel.FuseKernels.source(n);
        Loc g = global.get(src);
        if (g == null) g = global.get(n);
        if (g != null) return g;
        Loc placeholder = bodyLocs.get(src);
        if (placeholder != null) return placeholder;
        PlanMemory.Result mem = e.memory();
        if (!mem.planned(src)) throw new IllegalStateException("no storage for " + n + " in " + e.name());
        long off = mem.offset(src);
        if (src.shape().batched()) return new Loc("arena", name(src));
        return new Loc("fixed", Long.toString(bases(e)[1] + off));
    }

    /** {@code int h = 1040 * maxBatch;} for every planned batch-sized tensor an entry point touches. */
    private void declareOffsets(MethodSpec.Builder b, ModelPlan.Entry e, List<Kernel> kernels) {
        Set<Node> seen = new LinkedHashSet<>();
        for (Kernel k : kernels) {
            for (Node n : k.inputs()) seen.add(dev.nnc.compiler.kernel.FuseKernels.source(n));
            seen.addAll(k.outputs());
        }
        List<Node> sorted = new ArrayList<>(seen);
        sorted.sort(java.util.Comparator.comparingInt(Node::id));
        for (Node n : sorted) {
            if (global.containsKey(n) || !n.shape().batched() || !e.memory().planned(n)) continue;
            b.addStatement("int $N = $L * maxBatch", name(n), bases(e)[0] + e.memory().offset(n));
        }
    }

    /**
     * Where an entry point's planned tensors start: {per-row offset in {@code arena}, offset in
     * {@code fixed}}; a loop body's start inside its loop kernel's scratch.
     */
    private long[] bases(ModelPlan.Entry e) {
        long[] b = entryBases.get(e);
        return b != null ? b : new long[] {arenaBase, fixedBase};
    }

    private String feedField(Node n) {
        return name(n);
    }

    /** A stable Java identifier for a node: its .nn name when it has one, else op and id. */
    String name(Node n) {
        String existing = names.get(n);
        if (existing != null) return existing;
        String base;
        if (n.op() == Op.INPUT || n.op() == Op.PARAM) {
            base = javaName(n.attrs(Attrs.Declared.class).name());
        } else if (n.label() != null && !n.backward()) {
            base = javaName(n.label());
        } else {
            base = (n.backward() ? "d" + capitalize(javaName(n.op().key())) : javaName(n.op().key())) + n.id();
        }
        String candidate = ids.claim(base, Integer.toString(n.id()));
        names.put(n, candidate);
        return candidate;
    }

    static String javaName(String s) {
        return JavaNames.camel(s);
    }

    private static String capitalize(String s) {
        return JavaNames.capitalize(s);
    }

    private String describe(Node n) {
        String what = switch (n.op()) {
            case INPUT -> "input '" + n.attrs(Attrs.Declared.class).name() + "'";
            case PARAM -> "parameter '" + n.attrs(Attrs.Declared.class).name() + "'";
            default -> (n.backward() ? "gradient op " : "") + n.op().key()
                    + (n.label() != null ? " '" + n.label() + "'" : "");
        };
        return what + (n.pos().line() > 0 ? " (" + fileName() + ":" + n.pos().line() + ")" : "");
    }

    // ---- literals ----

    String lit(double v) {
        return jvm.lit(v);
    }

    String cast() {
        return jvm.cast();
    }

    String typeName() {
        return jvm.typeName();
    }

    Map<String, String> baseVars() {
        return jvm.baseVars();
    }

    // ---- class skeleton ----

    private CodeBlock classDoc() {
        CodeBlock.Builder b = CodeBlock.builder();
        b.add("Model $L, compiled by nnc $L from $L ($L).\n\n", JavaText.javadocCode(m.name()), version,
                JavaText.javadocCode(fileName()), typeName());
        b.add("<p>Feeds (slots of a {@link $T}):\n<ul>\n", BATCH);
        for (int i = 0; i < m.feeds().size(); i++) {
            ModelIr.Feed f = m.feeds().get(i);
            b.add("  <li>$L: $L $L $L</li>\n", i, f.target() ? "target" : "input", JavaText.javadocCode(f.name()),
                    shapeText(f.node()));
        }
        b.add("</ul>\n<p>Outputs:\n<ul>\n");
        for (int i = 0; i < m.outputs().size(); i++) {
            b.add("  <li>$L: $L $L</li>\n", i, JavaText.javadocCode(m.outputs().get(i).name()),
                    m.outputs().get(i).node().shape());
        }
        b.add("</ul>\n<p>Parameters ($L values):\n<ul>\n", paramCount);
        for (ModelIr.Param p : m.params()) {
            b.add("  <li>$L $L at $L, init $L</li>\n", JavaText.javadocCode(p.name()), p.node().shape(),
                    paramOffsets.get(p), JavaText.javadoc(p.init().kind()));
        }
        b.add("</ul>\n");
        if (m.optimizer() != null) {
            b.add("<p>Optimizer: $L.\n", JavaText.javadocCode(m.optimizer().describe()));
        }
        return b.build();
    }

    private String shapeText(Node n) {
        String type = n.type() == Node.Type.INT ? "i32" : typeName().equals("float") ? "f32" : "f64";
        return type + n.shape();
    }

    private void addConstants(TypeSpec.Builder cls) {
        TypeName list = ParameterizedTypeName.get(ClassName.get(List.class), TENSOR_INFO);
        CodeBlock.Builder feeds = CodeBlock.builder().add("$T.of(", List.class);
        for (int i = 0; i < m.feeds().size(); i++) {
            ModelIr.Feed f = m.feeds().get(i);
            feeds.add(i > 0 ? ",\n        " : "\n        ");
            feeds.add(info(f.name(), f.target() ? "TARGET" : "INPUT", f.node(), -1));
        }
        cls.addField(FieldSpec.builder(list, "FEEDS", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                .initializer(feeds.add(")").build()).build());
        CodeBlock.Builder outs = CodeBlock.builder().add("$T.of(", List.class);
        for (int i = 0; i < m.outputs().size(); i++) {
            outs.add(i > 0 ? ",\n        " : "\n        ");
            outs.add(info(m.outputs().get(i).name(), "OUTPUT", m.outputs().get(i).node(), -1));
        }
        cls.addField(FieldSpec.builder(list, "OUTPUTS", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                .initializer(outs.add(")").build()).build());
        CodeBlock.Builder ps = CodeBlock.builder().add("$T.of(", List.class);
        int i = 0;
        for (ModelIr.Param p : m.params()) {
            ps.add(i++ > 0 ? ",\n        " : "\n        ");
            ps.add(info(p.name(), "PARAM", p.node(), paramOffsets.get(p)));
        }
        cls.addField(FieldSpec.builder(list, "PARAMETERS", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                .initializer(ps.add(")").build()).build());
        cls.addField(FieldSpec.builder(TypeName.INT, "PARAM_COUNT", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                .addJavadoc("Values in the flat parameter buffer.\n").initializer("$L", paramCount).build());
        if (trainable && !options.fuse()) {
            int largest = m.params().stream().mapToInt(p -> p.node().shape().staticSize()).max().orElse(0);
            cls.addField(FieldSpec.builder(TypeName.INT, "LARGEST_PARAM", Modifier.PRIVATE, Modifier.STATIC,
                    Modifier.FINAL).addJavadoc("Values in the largest parameter tensor.\n").initializer("$L", largest)
                    .build());
        }
        cls.addField(FieldSpec.builder(TypeName.INT, "ARENA_PER_ROW", Modifier.PRIVATE, Modifier.STATIC,
                Modifier.FINAL).addJavadoc("Activation values per batch row.\n").initializer("$L", arenaPerRow).build());
        cls.addField(FieldSpec.builder(TypeName.INT, "FIXED_SIZE", Modifier.PRIVATE, Modifier.STATIC,
                Modifier.FINAL).addJavadoc("Batch-independent temporaries.\n").initializer("$L", fixedSize).build());
    }

    private CodeBlock info(String name, String role, Node n, int offset) {
        String dtype = n.type() == Node.Type.INT ? "I32" : f64 ? "F64" : "F32";
        StringBuilder dims = new StringBuilder();
        for (int d : n.shape().dims()) {
            if (!dims.isEmpty()) dims.append(", ");
            dims.append(d);
        }
        return CodeBlock.of("new $T($L, $T.$L, $T.$L, new int[] {$L}, $L)", TENSOR_INFO, JavaText.literal(name), ROLE,
                role, DTYPE, dtype, dims, offset);
    }

    private void addFields(TypeSpec.Builder cls) {
        int slots = trainable ? UpdateSteps.stateSlots(m.optimizer()) : 0;
        if (slots > 0) {
            cls.addField(FieldSpec.builder(arrayType, "state", Modifier.PRIVATE, Modifier.FINAL)
                    .addJavadoc("Optimizer state ($L value(s) per parameter).\n", slots)
                    .initializer(slots == 1 ? "new $T[PARAM_COUNT]" : "new $T[2 * PARAM_COUNT]", t).build());
        }
        if (trainable && !options.fuse()) {
            cls.addField(FieldSpec.builder(arrayType, "scratch", Modifier.PRIVATE, Modifier.FINAL)
                    .addJavadoc("Temporaries of the unfused update: $L slots of LARGEST_PARAM values.\n",
                            update.steps().scratchSlots())
                    .initializer("new $T[$L * LARGEST_PARAM]", t, update.steps().scratchSlots()).build());
        }
        for (ModelIr.Feed f : m.feeds()) {
            if (f.node().type() == Node.Type.INT) {
                cls.addField(FieldSpec.builder(ArrayTypeName.of(TypeName.INT), feedField(f.node()), Modifier.PRIVATE,
                        Modifier.FINAL).addJavadoc("Integer feed $L.\n", JavaText.javadocCode(f.name())).build());
            }
        }
        offsetFields.forEach(cls::addField);
    }


    private MethodSpec constructor() {
        MethodSpec.Builder c = MethodSpec.constructorBuilder().addModifiers(Modifier.PUBLIC)
                .addJavadoc("Creates the model for batches of up to {@code maxBatch} rows, parameters drawn from "
                        + "{@code seed}.\n")
                .addParameter(TypeName.INT, "maxBatch").addParameter(TypeName.LONG, "seed");
        c.addStatement("super($L, FEEDS, OUTPUTS, PARAMETERS, $L, maxBatch, seed, PARAM_COUNT, ARENA_PER_ROW, FIXED_SIZE)",
                JavaText.literal(m.name()), trainable);
        for (ModelIr.Feed f : m.feeds()) {
            if (f.node().type() == Node.Type.INT) {
                c.addStatement("this.$N = new int[$L]", feedField(f.node()),
                        f.node().shape().batched() ? "maxBatch * " + f.node().shape().staticSize()
                                : f.node().shape().staticSize());
            }
        }
        c.addCode(offsetInit.build());
        for (var e : global.entrySet()) {
            Node n = e.getKey();
            if (Graph.isPlainConst(n)) {
                c.addStatement("fixed[$L] = $L", e.getValue().offset(), lit(n.attrs(Attrs.Const.class).value()));
            }
        }
        if (!m.params().isEmpty()) {
            c.addStatement("$T rng = new $T(seed)", RNG, RNG);
            for (ModelIr.Param p : m.params()) c.addStatement(initCall(p));
        }
        c.addCode(kernelWriter.kernelInstances.build());
        return c.build();
    }

    /** The runtime's initializer methods for fan-based initializers, by their .nn names. */
    private static final Map<String, String> INITIALIZERS = Map.of("xavier_uniform", "xavierUniform",
            "xavier_normal", "xavierNormal", "he_normal", "heNormal", "he_uniform", "heUniform");

    private CodeBlock initCall(ModelIr.Param p) {
        int off = paramOffsets.get(p);
        int count = p.node().shape().staticSize();
        int fanIn = p.fans()[0];
        int fanOut = p.fans()[1];
        double[] a = p.init().args();
        CodeBlock call = switch (p.init().kind()) {
            case "zeros" -> CodeBlock.of("$T.zeros(params, $L, $L)", INIT, off, count);
            case "ones" -> CodeBlock.of("$T.ones(params, $L, $L)", INIT, off, count);
            case "constant" -> CodeBlock.of("$T.constant(params, $L, $L, $L)", INIT, off, count, a[0]);
            case "uniform" -> CodeBlock.of("$T.uniform(rng, params, $L, $L, $L, $L)", INIT, off, count, a[0], a[1]);
            case "normal" -> CodeBlock.of("$T.normal(rng, params, $L, $L, $L)", INIT, off, count, a[0]);
            default -> {
                String method = INITIALIZERS.get(p.init().kind());
                if (method == null) throw new IllegalStateException("unknown initializer " + p.init().kind());
                yield CodeBlock.of("$T.$L(rng, params, $L, $L, $L, $L)", INIT, method, off, count, fanIn, fanOut);
            }
        };
        return CodeBlock.of("$L /* $L $L */", call, JavaText.comment(p.name()), p.node().shape());
    }

    // ---- entry points ----

    private String locExpr(ModelPlan.Entry e, Node n) {
        Loc l = loc(e, n);
        return l.array() + "[" + l.offset() + "]";
    }

    /** {@code outputArray} and {@code outputOffset}: where each output lives, for the base class's copyOutput. */
    private void addOutputLocations(TypeSpec.Builder cls) {
        MethodSpec.Builder array = hook("outputArray", arrayType).addParameter(TypeName.INT, "index");
        MethodSpec.Builder offset = hook("outputOffset", TypeName.INT).addParameter(TypeName.INT, "index");
        array.addCode("return switch (index) {\n$>");
        offset.addCode("return switch (index) {\n$>");
        for (int i = 0; i < m.outputs().size(); i++) {
            Loc l = global.get(dev.nnc.compiler.kernel.FuseKernels.source(m.outputs().get(i).node()));
            array.addStatement("case $L -> $L", i, l.array());
            offset.addStatement("case $L -> $L", i, l.offset());
        }
        for (MethodSpec.Builder b : List.of(array, offset)) {
            b.addStatement("default -> throw new $T($S + index + $S)", IndexOutOfBoundsException.class, "output ",
                    " of " + m.outputs().size());
            b.addCode("$<};\n");
        }
        cls.addMethod(array.build());
        cls.addMethod(offset.build());
    }

    /** A protected override of one of the base class's hooks. */
    private static MethodSpec.Builder hook(String name, TypeName returns) {
        return Jvm.hook(name, returns);
    }

    /** A hook the model cannot serve (no loss, compiled for inference): it throws {@code why}. */
    private static MethodSpec unsupported(String name, TypeName returns, String why) {
        return hook(name, returns).addStatement("throw new $T($L)", UnsupportedOperationException.class,
                JavaText.literal(why)).build();
    }

    private MethodSpec loadMethod() {
        MethodSpec.Builder b = hook("load", TypeName.VOID)
                .addJavadoc("Copies the batch's feeds into the model's buffers and sets the batch size.\n")
                .addParameter(BATCH, "batch").addParameter(TypeName.BOOLEAN, "withTargets");
        b.addStatement("begin(batch)");
        for (int i = 0; i < m.feeds().size(); i++) {
            ModelIr.Feed f = m.feeds().get(i);
            Node node = f.node();
            String count = node.shape().sizeExpr("n");
            Loc l = global.get(node);
            String fn = node.type() == Node.Type.INT ? "toInt" : f64 ? "toDouble" : "toFloat";
            if (f.target()) {
                b.beginControlFlow("if (withTargets)");
            }
            b.addStatement("$T.$L(batch, $L, $L, $L, $L, $L)", FEEDS, fn, i, JavaText.literal(f.name()), l.array(),
                    l.offset(), count);
            if (f.target()) {
                b.endControlFlow();
            }
        }
        for (Node c : perBatchConsts) {
            b.addStatement("fixed[$L] = $L / n", global.get(c).offset(), lit(c.attrs(Attrs.Const.class).value()));
        }
        return b.build();
    }

    // ---- entry points' schedules ----

    private MethodSpec runMethod(String name, String doc, ModelPlan.Entry e) {
        MethodSpec.Builder b = hook(name, TypeName.VOID).addJavadoc(doc + "\n");
        declareOffsets(b, e, e.kernels());
        emitCalls(b, e, e.kernels());
        if (e == plan.loss()) {
            b.returns(TypeName.DOUBLE).addStatement("return $L", locExpr(e, m.inferenceLoss()));
        }
        return b.build();
    }

    /**
     * The training pass: forward in training mode, then (when asked) the backward pass derived at
     * compile time, writing every gradient into {@code grads}. Returns the training objective.
     */
    private MethodSpec trainingMethod() {
        ModelPlan.Entry e = plan.train();
        MethodSpec.Builder b = hook("runTraining", TypeName.DOUBLE).addParameter(TypeName.BOOLEAN, "withGradients")
                .addJavadoc("Forward pass in training mode (dropout active) and, with {@code withGradients}, the "
                        + "backward pass.\nReturns the training objective (data loss + regularization).\n");
        declareOffsets(b, e, e.kernels());
        emitCalls(b, e, e.forward());
        b.addStatement("double loss = $L", locExpr(e, m.trainingLoss()));
        b.beginControlFlow("if (!withGradients)").addStatement("return loss").endControlFlow();
        b.addComment("backward pass");
        emitCalls(b, e, e.backward());
        for (var g : gradCopies) {
            Loc src = loc(e, g.getValue());
            b.addStatement("$T.arraycopy($L, $L, grads, $L, $L)", System.class, src.array(), src.offset(),
                    paramOffsets.get(g.getKey()), g.getKey().node().shape().staticSize());
        }
        b.addStatement("return loss");
        return b.build();
    }

    private void emitCalls(MethodSpec.Builder b, ModelPlan.Entry e, List<Kernel> ks) {
        String lastLines = "";
        for (Kernel k : ks) {
            String lines = lineComment(k);
            if (!lines.equals(lastLines) && !lines.isEmpty()) {
                b.addComment("$L", JavaText.comment(lines));
                lastLines = lines;
            }
            if (k.recurrence() != null) {
                emitLoop(b, e, k);
            } else {
                b.addStatement(call(e, k));
            }
        }
    }

    /**
     * A recurrence as one Java loop over t ({@link dev.nnc.compiler.kernel.LoopPlan}): the step's
     * slices copied into contiguous buffers, the body's kernels, the step's outputs written into
     * the stacked results, the carried values copied over the previous ones.
     *
     * <pre>
     * Steps.copy(arena, h0Off, n * 128, arena, hPrevOff);
     * for (int t = 0; t &lt; 28; t++) {
     *     Steps.take(arena, xOff, 28, t, 28, n, arena, xTOff);
     *     ... the body's kernels ...
     *     Steps.put(arena, hOff, 28, t, 128, n, arena, rnnOff);
     *     Steps.copy(arena, hOff, n * 128, arena, hPrevOff);
     * }
     * </pre>
     */
    private void emitLoop(MethodSpec.Builder b, ModelPlan.Entry e, Kernel k) {
        dev.nnc.compiler.kernel.LoopPlan lp = k.loopPlan();
        dev.nnc.compiler.ir.Body body = lp.body();
        Node node = lp.node();
        long wb = bases(e)[0] + e.memory().workOffset(k);
        long wf = k.workFixed() > 0 ? bases(e)[1] + e.memory().workFixedOffset(k) : 0;
        for (var en : lp.batchedSlots().entrySet()) {
            bodyLocs.put(en.getKey(), new Loc("arena", "(" + (wb + en.getValue()) + " * maxBatch)"));
        }
        for (var en : lp.fixedSlots().entrySet()) {
            bodyLocs.put(en.getKey(), new Loc("fixed", Long.toString(wf + en.getValue())));
        }
        int seqs = node.op() == Op.LOOP ? body.xs().size() : body.xs().size() - 2;
        int invAt = node.op() == Op.LOOP ? seqs + 1 : seqs + 3; // outer inputs: seqs, [Y, G,] init, invariants
        for (int i = 0; i < body.invariants().size(); i++) {
            bodyLocs.put(body.invariants().get(i), loc(e, node.input(invAt + i)));
        }
        entryBases.put(lp.entry(), new long[] {wb + lp.bodyBatchedBase(), wf + lp.bodyFixedBase()});
        int steps = body.steps();
        Node init = node.input(invAt - 1);
        b.addComment("$L, one loop over $L steps", node.op() == Op.LOOP ? "recurrence" : "backpropagation through time",
                steps);
        declareOffsets(b, lp.entry(), lp.entry().kernels());
        if (node.op() == Op.LOOP) {
            copy(b, loc(e, init), bodyLocs.get(body.states().getFirst()), init);
            b.beginControlFlow("for (int t = 0; t < $L; t++)", steps);
        } else {
            for (Node s : body.states()) zero(b, bodyLocs.get(s), s);
            b.beginControlFlow("for (int t = $L; t >= 0; t--)", steps - 1);
        }
        for (int i = 0; i < seqs; i++) take(b, loc(e, node.input(i)), body.xs().get(i), steps, "t");
        if (node.op() == Op.LOOP_GRAD) {
            Node prev = body.xs().get(seqs);
            b.beginControlFlow("if (t == 0)");
            copy(b, loc(e, init), bodyLocs.get(prev), prev);
            b.nextControlFlow("else");
            take(b, loc(e, node.input(seqs)), prev, steps, "t - 1");
            b.endControlFlow();
            take(b, loc(e, node.input(seqs + 1)), body.xs().get(seqs + 1), steps, "t");
        }
        emitCalls(b, lp.entry(), lp.entry().kernels());
        for (int i = 0; i < body.ys().size(); i++) {
            Node y = body.ys().get(i);
            Node out = i == 0 ? node : part(k, i);
            if (out == null) continue;
            Loc from = loc(lp.entry(), y);
            Loc to = loc(e, out);
            b.addStatement("$T.put($L, $L, $L, t, $L, n, $L, $L)", STEPS, from.array(), from.offset(), steps,
                    rest(y), to.array(), to.offset());
        }
        for (int i = 0; i < body.states().size(); i++) {
            Node next = body.next().get(i);
            if (next != body.states().get(i)) copy(b, loc(lp.entry(), next), bodyLocs.get(body.states().get(i)), next);
        }
        b.endControlFlow();
        if (node.op() == Op.LOOP_GRAD) { // the initial state's gradient, then the invariants' sums
            for (int i = 0; i < body.states().size(); i++) {
                Node out = part(k, seqs + i);
                if (out != null) copy(b, bodyLocs.get(body.states().get(i)), loc(e, out), out);
            }
        }
    }

    /** The LOOP_OUT of kernel k with result {@code index}; null when nothing reads that result. */
    private static Node part(Kernel k, int index) {
        for (Node p : k.parts()) {
            if (p.attrs(Attrs.Part.class).index() == index) return p;
        }
        return null;
    }

    /** Values per row of a batch-sized tensor [N, ...]. */
    private static int rest(Node n) {
        return n.shape().staticSize();
    }

    private void take(MethodSpec.Builder b, Loc seq, Node step, int steps, String t) {
        Loc to = bodyLocs.get(step);
        b.addStatement("$T.take($L, $L, $L, $L, $L, n, $L, $L)", STEPS, seq.array(), seq.offset(), steps, t, rest(step),
                to.array(), to.offset());
    }

    private void copy(MethodSpec.Builder b, Loc from, Loc to, Node shapeOf) {
        b.addStatement("$T.copy($L, $L, $L, $L, $L)", STEPS, from.array(), from.offset(), shapeOf.shape().sizeExpr("n"),
                to.array(), to.offset());
    }

    private void zero(MethodSpec.Builder b, Loc at, Node shapeOf) {
        b.addStatement("$T.zero($L, $L, $L)", STEPS, at.array(), at.offset(), shapeOf.shape().sizeExpr("n"));
    }

    /** {@code fashion_mlp.nn:5  h = x |> dense(256) |> relu}, or a list of lines when fused across lines. */
    private String lineComment(Kernel k) {
        List<Integer> lines = k.lines();
        if (lines.isEmpty()) return "";
        String prefix = k.backward() ? "gradient of " : "";
        if (lines.size() == 1) {
            return prefix + fileName() + ":" + lines.getFirst() + "  " + source.line(lines.getFirst()).strip();
        }
        return prefix + fileName() + " lines " + lines.stream().map(String::valueOf)
                .collect(java.util.stream.Collectors.joining(", "));
    }

    private CodeBlock call(ModelPlan.Entry e, Kernel k) {
        KernelWriter.KernelSig sig = kernelWriter.signature(k);
        String method = kernelWriter.kernelMethod(k, sig);
        List<String> args = new ArrayList<>();
        if (sig.batchParam() != null) args.add(sig.batchArg());
        if (sig.masks()) {
            args.add("seed");
            args.add("steps");
        }
        for (Node in : sig.inputs()) {
            Loc l = loc(e, in);
            args.add(l.array());
            args.add(l.offset());
        }
        for (Node out : sig.outputs()) {
            Loc l = loc(e, out);
            args.add(l.array());
            args.add(l.offset());
        }
        if (sig.conv() != null) args.add(sig.conv());
        if (sig.work()) { // the kernel's planned scratch, in the batch-sized arena
            args.add("arena");
            args.add((arenaBase + e.memory().workOffset(k)) + " * maxBatch");
        }
        boolean pooled = k.placement() == Placement.TILES || k.placement() == Placement.CHUNKS;
        return CodeBlock.of(pooled ? "$L.compute($L)" : "$L($L)", method,
                String.join(", ", args));
    }

    // ---- kernels ----

}
