package dev.nnc.compiler.codegen;

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
import dev.nnc.compiler.ir.ModelIr;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import dev.nnc.templates.Templates;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
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
    private static final ClassName COMPILED_MODEL = ClassName.get(RT, "CompiledModel");
    private static final ClassName BATCH = ClassName.get(RT, "Batch");
    private static final ClassName TENSOR_INFO = ClassName.get(RT, "TensorInfo");
    private static final ClassName ROLE = ClassName.get(RT, "TensorInfo", "Role");
    private static final ClassName DTYPE = ClassName.get(RT, "DType");
    private static final ClassName GEMM = ClassName.get(RT, "Gemm");
    private static final ClassName INIT = ClassName.get(RT, "Init");
    private static final ClassName RNG = ClassName.get(RT, "Rng");
    private static final ClassName FEEDS = ClassName.get(RT, "Feeds");
    private static final ClassName PARAMS = ClassName.get(RT, "Params");
    private static final ClassName SAFETENSORS = ClassName.get(RT, "SafeTensors");
    private static final ClassName ARRAYS = ClassName.get("java.util", "Arrays");
    private static final ClassName GENERATED = ClassName.get("javax.annotation.processing", "Generated");

    /** Where a tensor lives: an array field and an offset expression. */
    record Loc(String array, String offset) {
    }

    private final ModelIr m;
    private final SourceFile source;
    private final CompileOptions options;
    private final String version;
    private final boolean f64;
    private final TypeName t;
    private final ArrayTypeName arrayType;
    private final Templates templates = Templates.backend("jvm");
    private final Schedule schedule;
    private final boolean trainable;
    private final Map<Node, Loc> locs = new LinkedHashMap<>();
    private final Map<Node, String> names = new HashMap<>();
    private final Set<String> usedNames = new HashSet<>();
    private final Map<ModelIr.Param, Integer> paramOffsets = new LinkedHashMap<>();
    private final Map<Node, String> kernelNames = new HashMap<>();
    private final List<MethodSpec> kernels = new ArrayList<>();
    private final List<FieldSpec> offsetFields = new ArrayList<>();
    private final CodeBlock.Builder offsetInit = CodeBlock.builder();
    private final List<Node> perBatchConsts = new ArrayList<>();
    private final List<Node> masks = new ArrayList<>();
    private final List<String[]> gradCopies = new ArrayList<>(); // src array, src off, dst off, count
    private int arenaPerRow;
    private int fixedSize;
    private int paramCount;

    private JavaCodegen(ModelIr m, SourceFile source, CompileOptions options, String version) {
        this.m = m;
        this.source = source;
        this.options = options;
        this.version = version;
        this.f64 = options.dtype() == CompileOptions.Precision.F64;
        this.t = f64 ? TypeName.DOUBLE : TypeName.FLOAT;
        this.arrayType = ArrayTypeName.of(t);
        this.trainable = m.trainable() && options.mode() == CompileOptions.Mode.TRAIN;
        this.schedule = Schedule.of(m, trainable);
    }

    public static GeneratedSource generate(ModelIr m, SourceFile source, CompileOptions options, String version) {
        return new JavaCodegen(m, source, options, version).run();
    }

    private GeneratedSource run() {
        layoutParams();
        assignStorage();
        TypeSpec.Builder cls = TypeSpec.classBuilder(m.name())
                .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
                .addSuperinterface(COMPILED_MODEL)
                .addAnnotation(AnnotationSpec.builder(GENERATED)
                        .addMember("value", "$S", "nnc " + version)
                        .addMember("comments", "$S", "from " + fileName()).build())
                .addJavadoc(classDoc());
        addConstants(cls);
        addFields(cls);
        cls.addMethod(constructor());
        addEntryPoints(cls);
        addAccessors(cls);
        cls.addMethod(loadMethod());
        cls.addMethod(runMethod("forwardPredict", "Forward pass in inference mode: outputs only.", schedule.predict()));
        cls.addMethod(runMethod("forwardLoss", "Forward pass in inference mode: outputs and data loss.", schedule.loss()));
        if (trainable) {
            cls.addMethod(runMethod("forwardTraining",
                    "Forward pass in training mode (dropout active): the training objective.", schedule.trainForward()));
            cls.addMethod(backwardMethod());
            cls.addMethod(updateMethod());
        }
        kernels.forEach(cls::addMethod);
        JavaFile file = JavaFile.builder(options.packageName(), cls.build())
                .skipJavaLangImports(true).indent("    ").build();
        return new GeneratedSource(options.packageName(), m.name(), file.toString());
    }

    private String fileName() {
        return Path.of(m.sourceFile()).getFileName().toString();
    }

    // ---- layout ----

    private void layoutParams() {
        int off = 0;
        for (ModelIr.Param p : m.params()) {
            paramOffsets.put(p, off);
            locs.put(p.node(), new Loc("params", Integer.toString(off)));
            off += p.node().shape().staticSize();
        }
        paramCount = off;
    }

    /** Naive plan: every computed tensor gets its own region; views share their source's region. */
    private void assignStorage() {
        Set<Node> all = new LinkedHashSet<>();
        all.addAll(schedule.predict());
        all.addAll(schedule.loss());
        all.addAll(schedule.trainForward());
        all.addAll(schedule.backward());
        List<Node> sorted = new ArrayList<>(all);
        sorted.sort((a, b) -> Integer.compare(a.id(), b.id()));
        Set<Node> claimedGrads = new HashSet<>();
        Map<Node, ModelIr.Param> gradOf = new HashMap<>();
        for (var e : m.grads().entrySet()) {
            Node d = e.getValue();
            if (Schedule.isKernel(d) && d.op() != Op.DROPOUT_MASK && claimedGrads.add(d)) {
                gradOf.put(d, e.getKey());
            }
        }
        for (Node n : sorted) {
            if (locs.containsKey(n)) continue;
            switch (n.op()) {
                case PARAM -> throw new IllegalStateException("unknown parameter " + n.attrs().name());
                case RESHAPE -> locs.put(n, locs.get(n.input(0)));
                case INPUT -> {
                    if (n.type() == Node.Type.INT) {
                        locs.put(n, new Loc(feedField(n), "0"));
                    } else {
                        locs.put(n, allocate(n));
                    }
                }
                case CONST -> {
                    locs.put(n, new Loc("fixed", Integer.toString(fixedSize++)));
                    if (n.attrs().flagA()) perBatchConsts.add(n);
                }
                default -> {
                    ModelIr.Param p = gradOf.get(n);
                    locs.put(n, p != null ? new Loc("grads", Integer.toString(paramOffsets.get(p))) : allocate(n));
                    if (n.op() == Op.DROPOUT_MASK) masks.add(n);
                }
            }
        }
        for (var e : m.grads().entrySet()) {
            Node d = e.getValue();
            if (gradOf.get(d) != e.getKey()) {
                Loc src = locs.get(d);
                gradCopies.add(new String[] {src.array(), src.offset(), Integer.toString(paramOffsets.get(e.getKey())),
                        Integer.toString(e.getKey().node().shape().staticSize())});
            }
        }
    }

    private Loc allocate(Node n) {
        if (n.shape().batched()) {
            String field = name(n) + "Off";
            offsetFields.add(FieldSpec.builder(TypeName.INT, field, Modifier.PRIVATE, Modifier.FINAL)
                    .addJavadoc("$L $L, $L values per batch row.\n", describe(n), n.shape(), n.shape().staticSize())
                    .build());
            offsetInit.addStatement("this.$N = $L * maxBatch", field, arenaPerRow);
            arenaPerRow += n.shape().staticSize();
            return new Loc("arena", field);
        }
        int off = fixedSize;
        fixedSize += n.shape().staticSize();
        return new Loc("fixed", Integer.toString(off));
    }

    private String feedField(Node n) {
        return javaName(n.attrs().name());
    }

    /** A stable Java identifier for a node: its .nn name when it has one, else op and id. */
    private String name(Node n) {
        String existing = names.get(n);
        if (existing != null) return existing;
        String base;
        if (n.op() == Op.INPUT || n.op() == Op.PARAM) {
            base = javaName(n.attrs().name());
        } else if (n.label() != null && !n.backward()) {
            base = javaName(n.label());
        } else {
            base = (n.backward() ? "d" + capitalize(javaName(n.op().key())) : javaName(n.op().key())) + n.id();
        }
        String candidate = base;
        if (usedNames.contains(candidate) || RESERVED.contains(candidate)) candidate = base + n.id();
        while (usedNames.contains(candidate) || RESERVED.contains(candidate)) candidate = candidate + "_";
        usedNames.add(candidate);
        names.put(n, candidate);
        return candidate;
    }

    private static final Set<String> RESERVED = Set.of("params", "grads", "state", "arena", "fixed", "n", "steps",
            "seed", "maxBatch", "rng", "batch", "update", "backward", "name", "load", "int", "float", "double",
            "long", "new", "class", "return", "for", "if", "else", "this", "default", "case", "switch", "out");

    static String javaName(String s) {
        StringBuilder sb = new StringBuilder();
        boolean upper = false;
        for (char c : s.toCharArray()) {
            if (Character.isLetterOrDigit(c)) {
                sb.append(upper && sb.length() > 0 ? Character.toUpperCase(c) : c);
                upper = false;
            } else {
                upper = true;
            }
        }
        if (sb.isEmpty() || Character.isDigit(sb.charAt(0))) sb.insert(0, 't');
        return sb.toString();
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    private String describe(Node n) {
        String what = switch (n.op()) {
            case INPUT -> "input '" + n.attrs().name() + "'";
            case PARAM -> "parameter '" + n.attrs().name() + "'";
            default -> (n.backward() ? "gradient op " : "") + n.op().key()
                    + (n.label() != null ? " '" + n.label() + "'" : "");
        };
        return what + (n.pos().line() > 0 ? " (" + fileName() + ":" + n.pos().line() + ")" : "");
    }

    // ---- literals ----

    private String lit(double v) {
        if (f64) {
            String s = Double.toString(v);
            return v < 0 ? "(" + s + ")" : s;
        }
        String s = Float.toString((float) v) + "f";
        return v < 0 ? "(" + s + ")" : s;
    }

    private String cast() {
        return f64 ? "" : "(float) ";
    }

    private String typeName() {
        return f64 ? "double" : "float";
    }

    private Map<String, String> baseVars() {
        Map<String, String> v = new HashMap<>();
        v.put("T", typeName());
        v.put("cast", cast());
        return v;
    }

    // ---- class skeleton ----

    private CodeBlock classDoc() {
        CodeBlock.Builder b = CodeBlock.builder();
        b.add("Model {@code $L}, compiled by nnc $L from {@code $L} ($L).\n\n", m.name(), version, fileName(),
                typeName());
        b.add("<p>Feeds (slots of a {@link $T}):\n<ul>\n", BATCH);
        for (int i = 0; i < m.feeds().size(); i++) {
            ModelIr.Feed f = m.feeds().get(i);
            b.add("  <li>$L: $L {@code $L} $L</li>\n", i, f.target() ? "target" : "input", f.name(), shapeText(f.node()));
        }
        b.add("</ul>\n<p>Outputs:\n<ul>\n");
        for (int i = 0; i < m.outputs().size(); i++) {
            b.add("  <li>$L: {@code $L} $L</li>\n", i, m.outputs().get(i).name(), m.outputs().get(i).node().shape());
        }
        b.add("</ul>\n<p>Parameters ($L values):\n<ul>\n", paramCount);
        for (ModelIr.Param p : m.params()) {
            b.add("  <li>{@code $L} $L at $L, init $L</li>\n", p.name(), p.node().shape(), paramOffsets.get(p),
                    p.init().kind());
        }
        b.add("</ul>\n");
        if (m.optimizer() != null) {
            b.add("<p>Optimizer: $L $L$L.\n", m.optimizer().kind(), m.optimizer().args(),
                    m.optimizer().l2() > 0 ? ", l2 " + m.optimizer().l2() : "");
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
        return CodeBlock.of("new $T($S, $T.$L, $T.$L, new int[] {$L}, $L)", TENSOR_INFO, name, ROLE, role, DTYPE,
                dtype, dims, offset);
    }

    private void addFields(TypeSpec.Builder cls) {
        cls.addField(TypeName.INT, "maxBatch", Modifier.PRIVATE, Modifier.FINAL);
        cls.addField(TypeName.LONG, "seed", Modifier.PRIVATE, Modifier.FINAL);
        cls.addField(FieldSpec.builder(arrayType, "params", Modifier.PRIVATE, Modifier.FINAL)
                .addJavadoc("All parameters, flat; see PARAMETERS for names and offsets.\n")
                .initializer("new $T[PARAM_COUNT]", t).build());
        cls.addField(FieldSpec.builder(arrayType, "grads", Modifier.PRIVATE, Modifier.FINAL)
                .addJavadoc("Gradients, laid out like params.\n").initializer("new $T[PARAM_COUNT]", t).build());
        int slots = stateSlots();
        cls.addField(FieldSpec.builder(arrayType, "state", Modifier.PRIVATE, Modifier.FINAL)
                .addJavadoc("Optimizer state ($L value(s) per parameter).\n", slots)
                .initializer(slots == 0 ? "new $T[0]" : slots == 1 ? "new $T[PARAM_COUNT]" : "new $T[2 * PARAM_COUNT]", t)
                .build());
        cls.addField(FieldSpec.builder(arrayType, "arena", Modifier.PRIVATE, Modifier.FINAL)
                .addJavadoc("Activations that scale with the batch: ARENA_PER_ROW * maxBatch values.\n").build());
        cls.addField(FieldSpec.builder(arrayType, "fixed", Modifier.PRIVATE, Modifier.FINAL)
                .addJavadoc("Constants and batch-independent temporaries.\n")
                .initializer("new $T[FIXED_SIZE]", t).build());
        for (ModelIr.Feed f : m.feeds()) {
            if (f.node().type() == Node.Type.INT) {
                cls.addField(FieldSpec.builder(ArrayTypeName.of(TypeName.INT), feedField(f.node()), Modifier.PRIVATE,
                        Modifier.FINAL).addJavadoc("Integer feed '$L'.\n", f.name()).build());
            }
        }
        offsetFields.forEach(cls::addField);
        cls.addField(FieldSpec.builder(TypeName.INT, "n", Modifier.PRIVATE)
                .addJavadoc("Rows in the current batch.\n").build());
        cls.addField(FieldSpec.builder(TypeName.LONG, "steps", Modifier.PRIVATE)
                .addJavadoc("Optimizer steps taken.\n").build());
    }

    private int stateSlots() {
        if (m.optimizer() == null) return 0;
        if (m.optimizer().kind().equals("adam")) return 2;
        return m.optimizer().arg("momentum") > 0 ? 1 : 0;
    }

    private MethodSpec constructor() {
        MethodSpec.Builder c = MethodSpec.constructorBuilder().addModifiers(Modifier.PUBLIC)
                .addJavadoc("Creates the model for batches of up to {@code maxBatch} rows, parameters drawn from "
                        + "{@code seed}.\n")
                .addParameter(TypeName.INT, "maxBatch").addParameter(TypeName.LONG, "seed");
        c.beginControlFlow("if (maxBatch < 1)")
                .addStatement("throw new $T($S + maxBatch)", IllegalArgumentException.class, "maxBatch must be >= 1, got ")
                .endControlFlow();
        c.addStatement("this.maxBatch = maxBatch").addStatement("this.seed = seed");
        c.addStatement("this.arena = new $T[$T.multiplyExact(ARENA_PER_ROW, maxBatch)]", t, Math.class);
        for (ModelIr.Feed f : m.feeds()) {
            if (f.node().type() == Node.Type.INT) {
                c.addStatement("this.$N = new int[$L]", feedField(f.node()),
                        f.node().shape().batched() ? "maxBatch * " + f.node().shape().staticSize()
                                : f.node().shape().staticSize());
            }
        }
        c.addCode(offsetInit.build());
        for (var e : locs.entrySet()) {
            Node n = e.getKey();
            if (n.op() == Op.CONST && !n.attrs().flagA()) {
                c.addStatement("fixed[$L] = $L", e.getValue().offset(), lit(n.attrs().value()));
            }
        }
        if (!m.params().isEmpty()) {
            c.addStatement("$T rng = new $T(seed)", RNG, RNG);
            for (ModelIr.Param p : m.params()) c.addStatement(initCall(p));
        }
        return c.build();
    }

    private CodeBlock initCall(ModelIr.Param p) {
        int off = paramOffsets.get(p);
        int count = p.node().shape().staticSize();
        int[] d = p.node().shape().dims();
        int fanIn, fanOut;
        if (d.length >= 2) {
            int receptive = 1;
            for (int i = 2; i < d.length; i++) receptive *= d[i];
            // dense weights are [in, out]
            fanIn = d[0] * receptive;
            fanOut = d[1] * receptive;
        } else {
            fanIn = d.length == 1 ? d[0] : 1;
            fanOut = fanIn;
        }
        double[] a = p.init().args();
        String comment = " /* " + p.name() + " " + p.node().shape() + " */";
        return switch (p.init().kind()) {
            case "zeros" -> CodeBlock.of("$T.zeros(params, $L, $L)" + comment, INIT, off, count);
            case "ones" -> CodeBlock.of("$T.ones(params, $L, $L)" + comment, INIT, off, count);
            case "constant" -> CodeBlock.of("$T.constant(params, $L, $L, $L)" + comment, INIT, off, count, a[0]);
            case "uniform" -> CodeBlock.of("$T.uniform(rng, params, $L, $L, $L, $L)" + comment, INIT, off, count, a[0], a[1]);
            case "normal" -> CodeBlock.of("$T.normal(rng, params, $L, $L, $L)" + comment, INIT, off, count, a[0]);
            default -> CodeBlock.of("$T.$L(rng, params, $L, $L, $L, $L)" + comment, INIT, javaName(p.init().kind()),
                    off, count, fanIn, fanOut);
        };
    }

    // ---- entry points ----

    private void addEntryPoints(TypeSpec.Builder cls) {
        String lossExpr = trainable ? locExpr(m.trainingLoss()) : null;
        String noLoss = m.trainable() ? "model " + m.name() + " was compiled with --mode inference; it can only predict"
                : "model " + m.name() + " has no loss; it can only predict";
        cls.addMethod(override("name", String.class).addStatement("return $S", m.name()).build());
        cls.addMethod(override("dtype", DTYPE).addStatement("return $T.$L", DTYPE, f64 ? "F64" : "F32").build());
        cls.addMethod(override("maxBatch", TypeName.INT).addStatement("return maxBatch").build());
        TypeName list = ParameterizedTypeName.get(ClassName.get(List.class), TENSOR_INFO);
        cls.addMethod(override("feeds", list).addStatement("return FEEDS").build());
        cls.addMethod(override("outputs", list).addStatement("return OUTPUTS").build());
        cls.addMethod(override("parameters", list).addStatement("return PARAMETERS").build());

        MethodSpec.Builder train = override("trainStep", TypeName.DOUBLE).addParameter(BATCH, "batch");
        MethodSpec.Builder grads = override("computeGradients", TypeName.DOUBLE).addParameter(BATCH, "batch");
        MethodSpec.Builder tloss = override("trainingLoss", TypeName.DOUBLE).addParameter(BATCH, "batch");
        MethodSpec.Builder loss = override("loss", TypeName.DOUBLE).addParameter(BATCH, "batch");
        if (trainable) {
            train.addStatement("double loss = computeGradients(batch)").addStatement("update()")
                    .addStatement("steps++").addStatement("return loss");
            grads.addStatement("load(batch, true)").addStatement("forwardTraining()").addStatement("backward()")
                    .addStatement("return $L", lossExpr);
            tloss.addStatement("load(batch, true)").addStatement("forwardTraining()").addStatement("return $L", lossExpr);
        } else {
            for (MethodSpec.Builder b : List.of(train, grads, tloss)) {
                b.addStatement("throw new $T($S)", UnsupportedOperationException.class, noLoss);
            }
        }
        if (m.inferenceLoss() != null) {
            loss.addStatement("load(batch, true)").addStatement("forwardLoss()")
                    .addStatement("return $L", locExpr(m.inferenceLoss()));
        } else {
            loss.addStatement("throw new $T($S)", UnsupportedOperationException.class,
                    "model " + m.name() + " has no loss; it can only predict");
        }
        cls.addMethod(train.build());
        cls.addMethod(grads.build());
        cls.addMethod(tloss.build());
        cls.addMethod(loss.build());
        cls.addMethod(override("predict", TypeName.VOID).addParameter(BATCH, "batch")
                .addStatement("load(batch, false)").addStatement("forwardPredict()").build());
    }

    private String locExpr(Node n) {
        Loc l = locs.get(n);
        return l.array() + "[" + l.offset() + "]";
    }

    private static MethodSpec.Builder override(String name, Object returns) {
        MethodSpec.Builder b = MethodSpec.methodBuilder(name).addAnnotation(Override.class).addModifiers(Modifier.PUBLIC);
        return returns instanceof TypeName tn ? b.returns(tn) : b.returns((Class<?>) returns);
    }

    private void addAccessors(TypeSpec.Builder cls) {
        for (TypeName dst : List.of(ArrayTypeName.of(TypeName.FLOAT), ArrayTypeName.of(TypeName.DOUBLE))) {
            MethodSpec.Builder b = override("copyOutput", TypeName.VOID).addParameter(TypeName.INT, "index")
                    .addParameter(dst, "dst").addParameter(TypeName.INT, "dstOffset");
            b.beginControlFlow("switch (index)");
            for (int i = 0; i < m.outputs().size(); i++) {
                Node o = m.outputs().get(i).node();
                Loc l = locs.get(o);
                b.addStatement("case $L -> copy($L, $L, dst, dstOffset, $L)", i, l.array(), l.offset(),
                        o.shape().sizeExpr("n"));
            }
            b.addStatement("default -> throw new $T($S + index + $S)", IndexOutOfBoundsException.class, "output ",
                    " of " + m.outputs().size());
            b.endControlFlow();
            cls.addMethod(b.build());
            boolean same = dst.equals(arrayType);
            MethodSpec.Builder copy = MethodSpec.methodBuilder("copy").addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                    .addParameter(arrayType, "src").addParameter(TypeName.INT, "srcOffset")
                    .addParameter(dst, "dst").addParameter(TypeName.INT, "dstOffset")
                    .addParameter(TypeName.INT, "count");
            if (same) {
                copy.addStatement("$T.arraycopy(src, srcOffset, dst, dstOffset, count)", System.class);
            } else {
                copy.beginControlFlow("for (int i = 0; i < count; i++)")
                        .addStatement("dst[dstOffset + i] = $Lsrc[srcOffset + i]", f64 ? "(float) " : "")
                        .endControlFlow();
            }
            cls.addMethod(copy.build());
        }
        cls.addMethod(override("lastBatchSize", TypeName.INT).addStatement("return n").build());
        cls.addMethod(override("parameter", ArrayTypeName.of(TypeName.DOUBLE)).addParameter(String.class, "name")
                .addStatement("return $T.read(params, $T.find(PARAMETERS, name))", PARAMS, PARAMS).build());
        cls.addMethod(override("setParameter", TypeName.VOID).addParameter(String.class, "name")
                .addParameter(ArrayTypeName.of(TypeName.DOUBLE), "values")
                .addStatement("$T.write(values, $T.find(PARAMETERS, name), params)", PARAMS, PARAMS).build());
        cls.addMethod(override("gradient", ArrayTypeName.of(TypeName.DOUBLE)).addParameter(String.class, "name")
                .addStatement("return $T.read(grads, $T.find(PARAMETERS, name))", PARAMS, PARAMS).build());
        cls.addMethod(override("steps", TypeName.LONG).addStatement("return steps").build());
        cls.addMethod(override("saveWeights", TypeName.VOID).addParameter(Path.class, "path")
                .addException(java.io.IOException.class)
                .addStatement("$T.save(path, PARAMETERS, params)", SAFETENSORS).build());
        cls.addMethod(override("loadWeights", TypeName.VOID).addParameter(Path.class, "path")
                .addException(java.io.IOException.class)
                .addStatement("$T.load(path, PARAMETERS, params)", SAFETENSORS).build());
    }

    private MethodSpec loadMethod() {
        MethodSpec.Builder b = MethodSpec.methodBuilder("load").addModifiers(Modifier.PRIVATE)
                .addJavadoc("Copies the batch's feeds into the model's buffers and sets the batch size.\n")
                .addParameter(BATCH, "batch").addParameter(TypeName.BOOLEAN, "withTargets");
        b.addStatement("int rows = batch.size()");
        b.beginControlFlow("if (rows < 1 || rows > maxBatch)")
                .addStatement("throw new $T($S + rows + $S + maxBatch + $S)", IllegalArgumentException.class,
                        "batch size ", " is outside [1, ", "]")
                .endControlFlow();
        b.beginControlFlow("if (batch.feedCount() != FEEDS.size())")
                .addStatement("throw new $T($S + batch.feedCount() + $S)", IllegalArgumentException.class,
                        "the batch has ", " feeds; " + m.name() + " needs " + m.feeds().size() + " ("
                                + String.join(", ", m.feeds().stream().map(ModelIr.Feed::name).toList()) + ")")
                .endControlFlow();
        b.addStatement("n = rows");
        for (int i = 0; i < m.feeds().size(); i++) {
            ModelIr.Feed f = m.feeds().get(i);
            Node node = f.node();
            String count = node.shape().sizeExpr("n");
            if (!locs.containsKey(node)) {
                continue; // declared but never used
            }
            Loc l = locs.get(node);
            String fn = node.type() == Node.Type.INT ? "toInt" : f64 ? "toDouble" : "toFloat";
            if (f.target()) {
                b.beginControlFlow("if (withTargets)");
            }
            b.addStatement("$T.$L(batch, $L, $S, $L, $L, $L)", FEEDS, fn, i, f.name(), l.array(), l.offset(), count);
            if (f.target()) {
                b.endControlFlow();
            }
        }
        for (Node c : perBatchConsts) {
            b.addStatement("fixed[$L] = $L / n", locs.get(c).offset(), lit(c.attrs().value()));
        }
        return b.build();
    }

    // ---- schedules ----

    private MethodSpec runMethod(String name, String doc, List<Node> nodes) {
        MethodSpec.Builder b = MethodSpec.methodBuilder(name).addModifiers(Modifier.PRIVATE).addJavadoc(doc + "\n");
        emitCalls(b, nodes);
        return b.build();
    }

    private MethodSpec backwardMethod() {
        MethodSpec.Builder b = MethodSpec.methodBuilder("backward").addModifiers(Modifier.PRIVATE)
                .addJavadoc("Backward pass: gradients of the training objective into grads (derived at compile time).\n");
        emitCalls(b, schedule.backward());
        for (String[] c : gradCopies) {
            b.addStatement("$T.arraycopy($L, $L, grads, $L, $L)", System.class, c[0], c[1], c[2], c[3]);
        }
        return b.build();
    }

    private void emitCalls(MethodSpec.Builder b, List<Node> nodes) {
        int lastLine = -1;
        for (Node n : nodes) {
            if (!Schedule.isKernel(n)) continue;
            if (n.pos().line() != lastLine && n.pos().line() > 0) {
                lastLine = n.pos().line();
                b.addComment("$L$L:$L  $L", n.backward() ? "gradient of " : "", fileName(), lastLine,
                        source.line(lastLine).strip());
            }
            b.addStatement(call(n));
        }
    }

    private CodeBlock call(Node n) {
        if (n.op() == Op.MATMUL) return gemmCall(n);
        String kernel = kernelNames.computeIfAbsent(n, this::kernel);
        List<String> args = new ArrayList<>();
        if (n.op() == Op.DROPOUT_MASK) {
            args.add("n");
            args.add("seed");
            args.add("steps * " + masks.size() + " + " + masks.indexOf(n));
        } else if (n.op().family() == Op.Family.ROWWISE) {
            args.add(rowCount(n));
        } else if (usesBatch(n)) {
            args.add("n");
        }
        for (Node in : kernelInputs(n)) {
            Loc l = locs.get(in);
            args.add(l.array());
            args.add(l.offset());
        }
        Loc out = locs.get(n);
        args.add(out.array());
        args.add(out.offset());
        return CodeBlock.of("$L($L)", kernel, String.join(", ", args));
    }

    /** The inputs a kernel reads from memory: plain constants are inlined as literals instead. */
    private List<Node> kernelInputs(Node n) {
        if (n.op().family() != Op.Family.ELEMENTWISE) return n.inputs();
        return n.inputs().stream().filter(in -> !(in.op() == Op.CONST && !in.attrs().flagA())).toList();
    }

    private static boolean usesBatch(Node n) {
        return n.shape().batched() || n.inputs().stream().anyMatch(i -> i.shape().batched());
    }

    private String rowCount(Node n) {
        Node x = n.input(0);
        if (n.op() == Op.BINARY_CROSS_ENTROPY || n.op() == Op.BINARY_CROSS_ENTROPY_GRAD) {
            return x.shape().sizeExpr("n");
        }
        int cols = x.shape().dim(x.shape().rank() - 1);
        int rowsStatic = x.shape().staticSize() / cols;
        if (!x.shape().batched()) return Integer.toString(rowsStatic);
        return rowsStatic == 1 ? "n" : "n * " + rowsStatic;
    }

    private CodeBlock gemmCall(Node n) {
        Node a = n.input(0);
        Node c = n.input(1);
        boolean ta = n.attrs().flagA();
        boolean tb = n.attrs().flagB();
        String m1 = dim(n.shape().dim(0));
        String n1 = dim(n.shape().dim(1));
        String k = dim(ta ? a.shape().dim(0) : a.shape().dim(1));
        Loc la = locs.get(a);
        Loc lb = locs.get(c);
        Loc lo = locs.get(n);
        return CodeBlock.of("$T.matmul($L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, false)", GEMM, la.array(),
                la.offset(), ta, lb.array(), lb.offset(), tb, lo.array(), lo.offset(), m1, n1, k);
    }

    private static String dim(int d) {
        return d == Shape.BATCH ? "n" : Integer.toString(d);
    }

    // ---- kernels ----

    /** Emits the kernel method of {@code n} and returns its name. */
    private String kernel(Node n) {
        String methodName = n.label() != null && !n.backward()
                ? javaName(n.op().key()) + capitalize(name(n)) : name(n);
        MethodSpec.Builder b = MethodSpec.methodBuilder(methodName).addModifiers(Modifier.PRIVATE, Modifier.STATIC);
        b.addJavadoc("$L $L$L.\n", n.op().key(), n.shape(), n.pos().line() > 0
                ? " — " + (n.backward() ? "gradient of " : "") + fileName() + ":" + n.pos().line() + ": "
                + escape(source.line(n.pos().line()).strip()) : "");
        if (n.op() == Op.DROPOUT_MASK) {
            b.addParameter(TypeName.INT, "n").addParameter(TypeName.LONG, "seed").addParameter(TypeName.LONG, "step");
        } else if (n.op().family() == Op.Family.ROWWISE) {
            boolean bce = n.op() == Op.BINARY_CROSS_ENTROPY || n.op() == Op.BINARY_CROSS_ENTROPY_GRAD;
            b.addParameter(TypeName.INT, bce ? "count" : "rows");
        } else if (usesBatch(n)) {
            b.addParameter(TypeName.INT, "n");
        }
        List<Node> ins = kernelInputs(n);
        List<String> inNames = inputNames(n, ins.size());
        for (int i = 0; i < ins.size(); i++) {
            TypeName at = ins.get(i).type() == Node.Type.INT ? ArrayTypeName.of(TypeName.INT) : arrayType;
            b.addParameter(at, inNames.get(i)).addParameter(TypeName.INT, inNames.get(i) + "Off");
        }
        b.addParameter(arrayType, "out").addParameter(TypeName.INT, "outOff");
        b.addCode("$L", body(n, ins, inNames));
        kernels.add(b.build());
        return methodName;
    }

    private static String escape(String s) {
        return s.replace("$", "$$").replace("*/", "* /");
    }

    private static List<String> inputNames(Node n, int count) {
        return switch (n.op()) {
            case SOFTMAX, LOG_SOFTMAX -> List.of("x");
            case CROSS_ENTROPY -> List.of("logits", "labels");
            case CROSS_ENTROPY_GRAD -> List.of("logits", "labels", "dy");
            case BINARY_CROSS_ENTROPY -> List.of("p", "y");
            case BINARY_CROSS_ENTROPY_GRAD -> List.of("p", "y", "dy");
            default -> count == 1 ? List.of("x") : count == 2 ? List.of("a", "b") : List.of();
        };
    }

    private String body(Node n, List<Node> ins, List<String> inNames) {
        switch (n.op().family()) {
            case ROWWISE -> {
                Map<String, String> vars = baseVars();
                Node x = n.input(0);
                vars.put("cols", Integer.toString(x.shape().rank() == 0 ? 1 : x.shape().dim(x.shape().rank() - 1)));
                vars.put("eps", lit(1e-7));
                return templates.skeleton(n.op().key(), vars);
            }
            case REDUCTION -> {
                return sumBody(n);
            }
            default -> {
                return elementwiseBody(n, ins, inNames);
            }
        }
    }

    /** out[o] = expr(inputs), the loop nest over the output shape with broadcast strides. */
    private String elementwiseBody(Node n, List<Node> ins, List<String> inNames) {
        Shape out = n.shape();
        List<int[]> strides = new ArrayList<>();
        strides.add(out.strides());
        for (Node in : ins) strides.add(broadcastStrides(in.shape(), out));
        LoopNest loops = new LoopNest(extents(out), strides);
        List<String> body = new ArrayList<>();
        Map<String, String> vars = baseVars();
        String[] operandVars = {"a", "b"};
        int k = 0;
        for (int i = 0; i < n.inputs().size(); i++) {
            Node in = n.input(i);
            if (in.op() == Op.CONST && !in.attrs().flagA()) {
                vars.put(operandVars[i], lit(in.attrs().value()));
            } else {
                String arr = inNames.get(k);
                String local = operandVars[i] + "v";
                body.add(typeName() + " " + local + " = " + arr + "[" + loops.index(k + 1, arr + "Off") + "];");
                vars.put(operandVars[i], local);
                k++;
            }
        }
        vars.put("alpha", lit(n.attrs().value()));
        String key = n.op().key();
        if (n.op() == Op.DROPOUT_MASK) {
            vars.put("i", loops.index(0, "0"));
            vars.put("rate", Double.toString(n.attrs().value()));
            vars.put("scale", lit(1 / (1 - n.attrs().value())));
        }
        body.add("out[" + loops.index(0, "outOff") + "] = " + templates.scalar(key, vars) + ";");
        return loops.wrap(body);
    }

    /** Zero the output, then accumulate every input element into its reduced position. */
    private String sumBody(Node n) {
        Shape in = n.input(0).shape();
        int[] axes = n.attrs().ints();
        int[] outStrides = n.shape().strides();
        int[] mapped = new int[in.rank()];
        int o = 0;
        for (int d = 0; d < in.rank(); d++) {
            boolean reduced = java.util.Arrays.binarySearch(axes, d) >= 0;
            mapped[d] = reduced ? 0 : outStrides[o++];
        }
        LoopNest loops = new LoopNest(extents(in), List.of(mapped, in.strides()));
        String size = n.shape().sizeExpr("n");
        return "java.util.Arrays.fill(out, outOff, outOff + " + size + ", 0);\n"
                + loops.wrap(List.of("out[" + loops.index(0, "outOff") + "] += x[" + loops.index(1, "xOff") + "];"));
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

    private MethodSpec updateMethod() {
        ModelIr.Optimizer opt = m.optimizer();
        Map<String, String> vars = baseVars();
        vars.put("lr", lit(opt.arg("lr")));
        String template;
        if (opt.kind().equals("adam")) {
            template = "adam";
            vars.put("beta1", lit(opt.arg("beta1")));
            vars.put("beta2", lit(opt.arg("beta2")));
            vars.put("eps", lit(opt.arg("eps")));
        } else if (opt.arg("momentum") > 0) {
            template = "sgd_momentum";
            vars.put("momentum", lit(opt.arg("momentum")));
            vars.put("direction", opt.arg("nesterov") > 0 ? "(grads[i] + " + lit(opt.arg("momentum")) + " * v)" : "v");
        } else {
            template = "sgd";
        }
        MethodSpec.Builder b = MethodSpec.methodBuilder("update").addModifiers(Modifier.PRIVATE)
                .addJavadoc("$L update over the whole flat parameter buffer.\n", opt.kind());
        b.addStatement("int count = PARAM_COUNT");
        if (template.equals("adam")) b.addStatement("long t = steps + 1");
        b.addCode("$L", templates.skeleton(template, vars));
        return b.build();
    }

    /** For inspection and tests: the storage of every scheduled node. */
    Map<Node, Loc> locations() {
        return locs;
    }

    static String locale(double v) {
        return String.format(Locale.ROOT, "%s", v);
    }
}
