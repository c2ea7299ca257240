package dev.nnc.compiler.emit.jvm;

import com.palantir.javapoet.ArrayTypeName;
import com.palantir.javapoet.AnnotationSpec;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.JavaFile;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterSpec;
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
import dev.nnc.compiler.ir.Shape;
import dev.nnc.compiler.kernel.Kernel;
import dev.nnc.compiler.kernel.ModelPlan;
import dev.nnc.compiler.kernel.PlanMemory;
import dev.nnc.compiler.kernel.Placement;
import dev.nnc.templates.Templates;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
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
    private final SourceFile source;
    private final CompileOptions options;
    private final String version;
    private final boolean f64;
    /** The element type's helpers, shared with the other writers. */
    private final Jvm jvm;
    /** Writes the optimizer update (made once the parameters are laid out). */
    private UpdateWriter update;
    private final TypeName t;
    private final ArrayTypeName arrayType;
    private final Templates templates = Templates.backend("jvm");
    private final ModelPlan plan;
    private final boolean trainable;
    private final Map<Node, Loc> global = new LinkedHashMap<>();
    private final Map<Node, String> names = new HashMap<>();
    /** Every identifier derived from a .nn name comes from here (docs/security.md). */
    private final JavaNames ids = new JavaNames();
    private final String className;
    private final Map<ModelIr.Param, Integer> paramOffsets = new LinkedHashMap<>();
    private final Map<String, String> kernelByText = new HashMap<>();
    /** Where the entry points of loop bodies start (see {@link #bases}). */
    private final Map<ModelPlan.Entry, long[]> entryBases = new HashMap<>();
    /** Buffers of loop bodies' placeholders: the step's slices, carried values, invariants where they live. */
    private final Map<Node, Loc> bodyLocs = new HashMap<>();
    /** The kernel parameters the last {@link #loopBody} reads (arrays with their offsets, n, seed, step). */
    private final Set<String> bodyUses = new HashSet<>();
    /** The model's runtime Conv instances, by geometry. */
    private final Map<String, String> convByGeometry = new HashMap<>();
    private final Map<Kernel, String> methodOf = new HashMap<>();
    private final List<MethodSpec> kernels = new ArrayList<>();
    /** Kernels that run on the pool (tile epilogues, loops over chunks of rows): their classes and instances. */
    private final List<TypeSpec> kernelClasses = new ArrayList<>();
    private final List<FieldSpec> kernelFields = new ArrayList<>();
    private UpdateSteps updateSteps;
    /** Constructor statements creating kernel instances that are sized by maxBatch. */
    private final CodeBlock.Builder kernelInstances = CodeBlock.builder();
    private final List<FieldSpec> offsetFields = new ArrayList<>();
    private final CodeBlock.Builder offsetInit = CodeBlock.builder();
    private final List<Node> perBatchConsts = new ArrayList<>();
    private final List<Node> masks = new ArrayList<>();
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
        kernels.forEach(cls::addMethod);
        kernelFields.forEach(cls::addField);
        kernelClasses.forEach(cls::addType);
        JavaFile file = JavaFile.builder(options.packageName(), cls.build())
                .skipJavaLangImports(true).indent("    ").build();
        return new GeneratedSource(options.packageName(), className, file.toString());
    }

    private String fileName() {
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
    private String name(Node n) {
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

    private String lit(double v) {
        return jvm.lit(v);
    }

    private String cast() {
        return jvm.cast();
    }

    private String typeName() {
        return jvm.typeName();
    }

    private Map<String, String> baseVars() {
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
        c.addCode(kernelInstances.build());
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
        KernelSig sig = signature(k);
        String method = kernelMethod(k, sig);
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

    /**
     * A kernel's parameter list: the batch size (or row count), seed and step when it draws dropout
     * masks, then an array and an offset per input and per output.
     */
    private record KernelSig(String batchParam, String batchArg, boolean masks, List<Node> inputs,
            List<String> inputNames, List<Node> outputs, List<String> outputNames, String conv, boolean work) {
    }

    private KernelSig signature(Kernel k) {
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
            // row-wise templates name their operands; keep the op's input order
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
            batchParam = "rows";
            batchArg = k.rowwise().op().def().rowsAreSamples() ? planeRows(k.rowwise()) : rowCount(k.rowwise());
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
    private String kernelMethod(Kernel k, KernelSig sig) {
        switch (k.placement()) {
            case TILES -> {
                return tileKernel(k, sig);
            }
            case CHUNKS -> {
                return loopKernel(k, sig);
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
            TypeName at = sig.inputs().get(i).type() == Node.Type.INT ? ArrayTypeName.of(TypeName.INT) : arrayType;
            ps.add(ParameterSpec.builder(at, sig.inputNames().get(i)).build());
            ps.add(ParameterSpec.builder(TypeName.INT, sig.inputNames().get(i) + "Off").build());
        }
        for (int i = 0; i < sig.outputs().size(); i++) {
            ps.add(ParameterSpec.builder(arrayType, sig.outputNames().get(i)).build());
            ps.add(ParameterSpec.builder(TypeName.INT, sig.outputNames().get(i) + "Off").build());
        }
        if (sig.conv() != null) ps.add(ParameterSpec.builder(CONV, "conv").build());
        if (sig.work()) {
            ps.add(ParameterSpec.builder(arrayType, "work").build());
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
        String className = capitalize(fieldName);
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
        String name = ids.claimKernel(kernelName(k), withClass);
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

    /**
     * A loop over rows as a small class run on the pool: {@code compute} keeps the operands, runs
     * the product if there is one, then the chunks of {@value #CHUNK_ROWS} rows in parallel
     * ({@code run(lo, hi)}: chunks lo..hi), and adds the chunks' partial sums in chunk order, so
     * the result does not depend on the number of threads.
     */
    private String loopKernel(Kernel k, KernelSig sig) {
        CodeBlock loops = loopBody(k, sig, LoopMode.CHUNKS);
        Map<Node, int[]> partial = partialLayout(k);
        int partialSize = partial.isEmpty() ? 0 : partialStride(partial);
        MethodSpec.Builder chunk = MethodSpec.methodBuilder("run").addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC).addParameter(TypeName.INT, "lo").addParameter(TypeName.INT, "hi")
                .addCode(loops);
        MethodSpec.Builder compute = MethodSpec.methodBuilder("compute")
                .addJavadoc("Keeps the operands, then runs the chunks of rows on the pool ({@link #run}).\n");
        List<FieldSpec> fields = keepOperands(compute, sig, Set.copyOf(bodyUses));
        compute.addCode(reductionFills(k, sig));
        if (k.gemm() != null) compute.addCode(gemmCall(k, sig, null));
        compute.addStatement("int chunks = (n + $L) / $L", CHUNK_ROWS - 1, CHUNK_ROWS);
        if (partialSize > 0) compute.addStatement("$T.fill(partials, 0, chunks * $L, 0)", java.util.Arrays.class, partialSize);
        // chunks per parallel piece: at least PARALLEL_ELEMENTS elements, else waking a thread costs more
        long rowElements = Math.max(1, k.space().staticSize());
        long grain = Math.max(1, (PARALLEL_ELEMENTS + CHUNK_ROWS * rowElements - 1) / (CHUNK_ROWS * rowElements));
        compute.addStatement("$T.forRange(chunks, $L, this)", PARALLEL, grain);
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
        String className = capitalize(fieldName);
        TypeSpec.Builder type = TypeSpec.classBuilder(className).addModifiers(Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                .addSuperinterface(PARALLEL.nestedClass("RangeBody"))
                .addJavadoc(CodeBlock.builder().add(kernelDoc(k, sig))
                        .add("<p>Runs on the pool in chunks of $L rows$L.\n", CHUNK_ROWS, partial.isEmpty() ? ""
                                : "; sums down the rows go to per-chunk partials, added in chunk order").build())
                .addFields(fields);
        if (partialSize > 0) {
            int sums = partial.values().stream().mapToInt(a -> a[1]).sum();
            type.addField(FieldSpec.builder(arrayType, "partials", Modifier.PRIVATE, Modifier.FINAL)
                    .addJavadoc("Partial sums of each chunk of rows ($L values, padded to $L): chunk c's at c * $L.\n",
                            sums, partialSize, partialSize).build());
            type.addMethod(MethodSpec.constructorBuilder().addParameter(TypeName.INT, "maxBatch")
                    .addStatement("partials = new $T[(maxBatch + $L) / $L * $L]", t, CHUNK_ROWS - 1, CHUNK_ROWS,
                            partialSize).build());
        }
        addKernelInstance(fieldName, className, partialSize > 0);
        kernelClasses.add(type.addMethod(compute.build()).addMethod(chunk.build()).build());
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
            d.add("<br>$L:$L: $L\n", JavaText.javadoc(fileName()), line, JavaText.javadocCode(source.line(line).strip()));
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
        return name(n) + " " + n.shape();
    }

    private static String type(ClassName c) {
        return Jvm.type(c);
    }

    private static final ClassName ARRAYS = Jvm.ARRAYS;

    private static CodeBlock withTypes(String text) {
        return Jvm.withTypes(text);
    }

    private CodeBlock body(Kernel k, KernelSig sig) {
        if (k.rowwise() != null) {
            List<String> names = new ArrayList<>(sig.inputNames());
            names.add("out");
            return withTypes(rowTemplate(k.rowwise(), names, "rows"));
        }
        CodeBlock.Builder code = CodeBlock.builder();
        if (k.gemm() != null) code.add(gemmCall(k, sig, null));
        StringBuilder sb = new StringBuilder();
        if (!k.members().isEmpty() || !k.reductions().isEmpty()) {
            code.add(reductionFills(k, sig)).add(loopBody(k, sig, LoopMode.WHOLE));
        }
        if (k.rowTail() != null) {
            Node tail = k.rowTail();
            List<String> names = new ArrayList<>();
            for (Node in : tail.inputs()) {
                int o = sig.outputs().indexOf(in);
                names.add(o >= 0 ? sig.outputNames().get(o) : sig.inputNames().get(sig.inputs().indexOf(in)));
            }
            names.add(sig.outputNames().get(sig.outputs().indexOf(tail)));
            sb.append(rowTemplate(tail, names, rowCount(tail)));
        }
        return code.add(withTypes(sb.toString())).build();
    }

    /**
     * A row-wise op's loop skeleton with its operands named: {@code names} are the arrays of the
     * op's inputs then its output (each with an {@code Off} offset), {@code rows} the row count.
     */
    private String rowTemplate(Node op, List<String> names, String rows) {
        Map<String, String> vars = baseVars();
        Node x = op.input(0);
        vars.put("cols", Integer.toString(x.shape().rank() == 0 ? 1 : x.shape().dim(x.shape().rank() - 1)));
        vars.put("rows", rows);
        vars.put("negInf", f64 ? "Double.NEGATIVE_INFINITY" : "Float.NEGATIVE_INFINITY");
        vars.putAll(op.op().def().templateVars(op));
        List<String> roles = new ArrayList<>(rowwiseNames(op));
        roles.add("out");
        for (int i = 0; i < roles.size(); i++) {
            vars.put(roles.get(i), names.get(i));
            vars.put(roles.get(i) + "Off", names.get(i) + "Off");
        }
        return templates.skeleton(op.op().key(), vars);
    }

    /** {@code Gemm.matmul(...)} for the kernel's product, with {@code epilogueArgs} appended when given. */
    private CodeBlock gemmCall(Kernel k, KernelSig sig, CodeBlock epilogueArgs) {
        Node g = k.gemm();
        if (g.op() != Op.MATMUL) return convCall(g, sig);
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
     * is the kernel's {@code conv} parameter, its scratch the planned {@code work}.
     */
    private CodeBlock convCall(Node g, KernelSig sig) {
        String method = switch (g.op()) {
            case CONV2D -> "forward";
            case CONV2D_INPUT_GRAD -> "inputGrad";
            case CONV2D_WEIGHT_GRAD -> "weightGrad";
            default -> throw new IllegalStateException("not a convolution: " + g.op());
        };
        String a = role(sig, g.input(0));
        String b = role(sig, g.input(1));
        String out = sig.outputNames().get(sig.outputs().indexOf(g));
        return CodeBlock.of("conv.$N(n, $N, $NOff, $N, $NOff, $N, $NOff, work, workOff);\n", method, a, a, b, b, out, out);
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
        String name = ids.claimKernel("conv2d", false);
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
        boolean tile = mode != LoopMode.WHOLE;
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
        LoopNest loops = new LoopNest(extents(space), strides, !tile);
        Map<Node, String> value = new HashMap<>();
        List<CodeBlock> body = new ArrayList<>();
        for (int i = 0; i < loaded.size(); i++) {
            Node in = loaded.get(i);
            String arr = loadedNames.get(i);
            String local = "v" + value.size(); // numbered in order, so equal structures give equal text
            body.add(CodeBlock.builder().addStatement("$L $N = $N[$L]", typeName(), local, arr,
                    loops.index(i + 1, arr + "Off")).build());
            value.put(in, local);
        }
        for (Node mbr : k.members()) {
            String local = "v" + value.size();
            body.add(CodeBlock.builder().add("$L $N = ", typeName(), local).add(withTypes(expression(mbr, value, loops)))
                    .add(";\n").build());
            value.put(mbr, local);
        }
        int operand = loaded.size() + 1;
        for (Node out : stored) {
            String arr = sig.outputNames().get(sig.outputs().indexOf(out));
            String idx = loops.index(operand++, arr + "Off");
            if (partial.containsKey(out)) { // this chunk's own partial sums, combined in chunk order later
                int[] at = partial.get(out);
                CodeBlock sum = withTypes(operandValue(out.input(0), value, loops));
                if (at[1] == 1) { // a single sum: a local of the chunk, stored once at its end
                    body.add(CodeBlock.builder().add("acc$L += ", at[0]).add(sum).add(";\n").build());
                } else {
                    String at0 = at[0] == 0 ? "" : " + " + at[0];
                    body.add(CodeBlock.builder().add("partials[chunk * $L$L$L] += ", partialStride(partial), at0,
                            loops.index(operand - 1, "")).add(sum).add(";\n").build());
                }
            } else if (k.reductions().contains(out)) {
                bodyUses.add(arr);
                body.add(CodeBlock.builder().add("$N[$L] += ", arr, idx)
                        .add(withTypes(operandValue(out.input(0), value, loops))).add(";\n").build());
            } else {
                bodyUses.add(arr);
                body.add(CodeBlock.builder().addStatement("$N[$L] = $N", arr, idx, value.get(out)).build());
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
        if (mode != LoopMode.CHUNKS) return CodeBlock.builder().add(maskKeys(k)).add(loops.wrap(body, ranges)).build();
        CodeBlock.Builder chunk = CodeBlock.builder().add(maskKeys(k));
        chunk.beginControlFlow("for (int chunk = lo; chunk < hi; chunk++)");
        for (int[] at : partial.values()) {
            if (at[1] == 1) chunk.addStatement("$L acc$L = 0", typeName(), at[0]);
        }
        chunk.add(loops.wrap(body, ranges));
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

    /** The scalar expression of an elementwise member, from the backend's template. */
    private String expression(Node n, Map<Node, String> value, LoopNest loops) {
        Map<String, String> vars = baseVars();
        String[] names = {"a", "b"};
        for (int i = 0; i < n.inputs().size(); i++) {
            vars.put(names[i], operandValue(n.input(i), value, loops));
        }
        vars.put("alpha", lit(n.attrs() instanceof Attrs.Scalar s ? s.value() : 0));
        if (n.op() == Op.DROPOUT_MASK) return maskExpression(n, loops);
        return "(" + templates.scalar(n.op().key(), vars) + ")";
    }

    private String operandValue(Node in, Map<Node, String> value, LoopNest loops) {
        String v = value.get(in);
        if (v != null) return v;
        if (Graph.isPlainConst(in)) return lit(in.attrs(Attrs.Const.class).value());
        if (in.op() == Op.DROPOUT_MASK) return maskExpression(in, loops);
        throw new IllegalStateException("operand " + in + " is not available in the kernel");
    }

    /**
     * A dropout mask element, drawn from (seed, step, mask, element): {@code Rng.bits} of the
     * mask's stream key (declared before the loops, {@link #maskKeys}) against the rate's threshold.
     */
    private String maskExpression(Node mask, LoopNest loops) {
        Map<String, String> vars = baseVars();
        vars.put("i", loops.index(0, "0"));
        vars.put("key", maskKey(mask));
        double rate = mask.attrs(Attrs.Dropout.class).rate();
        vars.put("threshold", Long.toString(threshold(rate)));
        vars.put("scale", lit(1 / (1 - rate)));
        return "(" + templates.scalar("dropout_mask", vars) + ")";
    }

    /** Same as {@code Rng.threshold}: the compiler does not depend on the runtime. */
    private static long threshold(double rate) {
        return (long) Math.ceil(rate * 0x1.0p53);
    }

    private String maskKey(Node mask) {
        return "dropKey" + masks.indexOf(mask);
    }

    /** {@code long dropKey0 = Rng.streamKey(seed, step * 1 + 0);} for every mask the kernel draws. */
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
            b.addStatement("long $N = $T.streamKey(seed, step * $L + $L)", maskKey(mask), RNG, masks.size(),
                    masks.indexOf(mask));
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
