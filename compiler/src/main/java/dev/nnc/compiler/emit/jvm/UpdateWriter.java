package dev.nnc.compiler.emit.jvm;

import com.palantir.javapoet.ArrayTypeName;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import dev.nnc.compiler.emit.JavaText;
import dev.nnc.compiler.ir.ModelIr;
import dev.nnc.templates.Templates;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.lang.model.element.Modifier;

/**
 * Writes the optimizer update of a model class: one pass over the flat parameter buffer split
 * across the pool ({@code update}, {@code updateRange}, the l2 runs), or with {@code --no-fuse}
 * one loop per operation and parameter tensor ({@code updateTensor}), from the backend's
 * {@code jvm/<optimizer>.tmpl} and {@code .steps} files.
 */
final class UpdateWriter {
    private final ModelIr m;
    private final Jvm jvm;
    private final Templates templates;
    private final Map<ModelIr.Param, Integer> paramOffsets;
    private UpdateSteps updateSteps;

    UpdateWriter(ModelIr m, Jvm jvm, Templates templates, Map<ModelIr.Param, Integer> paramOffsets) {
        this.m = m;
        this.jvm = jvm;
        this.templates = templates;
        this.paramOffsets = paramOffsets;
    }

    /** The update's members: the fused pass (with the range body it binds once), or the unfused loops. */
    void addTo(TypeSpec.Builder cls, boolean fused) {
        if (fused) {
            cls.addField(FieldSpec.builder(Jvm.PARALLEL.nestedClass("RangeBody"), "updateBody", Modifier.PRIVATE,
                    Modifier.FINAL).addJavadoc("The update over a range of parameters, bound once.\n")
                    .initializer("this::updateRange").build());
            cls.addMethod(Jvm.hook("update", TypeName.VOID)
                    .addJavadoc("$L update, one pass over the whole flat parameter buffer, split across the pool.\n",
                            m.optimizer().kind())
                    .addStatement("$T.forRange(PARAM_COUNT, $L, updateBody)", Jvm.PARALLEL, UPDATE_GRAIN).build());
            cls.addMethod(updateMethod());
        } else {
            unfusedUpdateMethods().forEach(cls::addMethod);
        }
    }

    /** Parameters per parallel chunk of the fused update. */
    static final int UPDATE_GRAIN = 1 << 14;

    /**
     * The optimizer as one pass over the flat parameter buffer, {@code updateRange(lo, hi)} over
     * chunks of it on the pool. With {@code regularize l2(λ)} the pass walks runs of parameters that
     * share a strength (weights λ, biases 0) and adds λ·w to each gradient on the fly:
     *
     * <pre>
     * for (int s = 0; s < L2_END.length; s++) {
     *     float l2 = L2[s];
     *     for (int i = Math.max(lo, s == 0 ? 0 : L2_END[s - 1]); i < Math.min(hi, L2_END[s]); i++) {
     *         ... grads[i] + l2 * params[i] ...
     *     }
     * }
     * </pre>
     */
    MethodSpec updateMethod() {
        ModelIr.Optimizer opt = m.optimizer();
        Map<String, String> vars = optimizerVars();
        String template = UpdateSteps.templateOf(opt);
        if (template.equals("sgd_momentum")) {
            vars.put("direction", steps().nesterov() ? "(g + " + jvm.lit(opt.arg("momentum")) + " * v)" : "v");
        }
        boolean l2 = opt.l2() > 0 && m.params().stream().anyMatch(ModelIr.Param::weight);
        MethodSpec.Builder b = MethodSpec.methodBuilder("updateRange").addModifiers(Modifier.PRIVATE)
                .addParameter(TypeName.INT, "lo").addParameter(TypeName.INT, "hi")
                .addJavadoc("$L update of the parameters [lo, hi)$L.\n", opt.kind(),
                        l2 ? ", with l2 " + opt.l2() + " on weights" : "");
        b.addStatement("int count = PARAM_COUNT");
        if (template.equals("adam")) {
            b.addStatement("long t = steps + 1");
            b.addCode(Jvm.withTypes(templates.skeleton("adam_bias_correction", vars)));
        }
        if (!l2) {
            vars.put("from", "lo");
            vars.put("to", "hi");
            vars.put("g", "grads[i]");
            b.addCode(Jvm.withTypes(templates.skeleton(template, vars)));
            return b.build();
        }
        vars.put("from", "Math.max(lo, s == 0 ? 0 : L2_END[s - 1])");
        vars.put("to", "Math.min(hi, L2_END[s])");
        vars.put("g", "(grads[i] + l2 * params[i])");
        b.beginControlFlow("for (int s = 0; s < L2_END.length; s++)");
        b.addStatement("$T l2 = L2[s]", jvm.t);
        b.addCode(Jvm.withTypes(templates.skeleton(template, vars)));
        b.endControlFlow();
        return b.build();
    }

    /** The optimizer's hyper-parameters as template variables. */
    private Map<String, String> optimizerVars() {
        ModelIr.Optimizer opt = m.optimizer();
        Map<String, String> vars = jvm.baseVars();
        vars.put("lr", jvm.lit(opt.arg("lr")));
        vars.put("l2", "l2");
        for (String name : List.of("beta1", "beta2", "eps", "momentum")) {
            if (opt.args().containsKey(name)) vars.put(name, jvm.lit(opt.arg(name)));
        }
        return vars;
    }

    /** The optimizer's steps (the unfused update; the report counts both updates from them), parsed once. */
    UpdateSteps steps() {
        if (updateSteps == null) updateSteps = UpdateSteps.of(templates, m.optimizer(), optimizerVars());
        return updateSteps;
    }

    /**
     * The unfused baseline of the update ({@code --no-fuse}): per parameter tensor, one loop per
     * operation of {@code jvm/OPTIMIZER.steps}, temporaries in {@code scratch}.
     */
    List<MethodSpec> unfusedUpdateMethods() {
        ModelIr.Optimizer opt = m.optimizer();
        UpdateSteps steps = steps();
        MethodSpec.Builder update = Jvm.hook("update", TypeName.VOID)
                .addJavadoc("$L update, unfused (--no-fuse): each parameter tensor in turn, one loop per operation.\n",
                        opt.kind());
        for (ModelIr.Param p : m.params()) {
            boolean l2 = opt.l2() > 0 && p.weight();
            update.addStatement("updateTensor($L, $L, $L) /* $L */", paramOffsets.get(p),
                    p.node().shape().staticSize(), jvm.lit(l2 ? opt.l2() : 0), JavaText.comment(p.name()));
        }
        MethodSpec.Builder one = MethodSpec.methodBuilder("updateTensor").addModifiers(Modifier.PRIVATE)
                .addJavadoc("$L on the parameters [from, from + len), one loop per operation.\n", opt.kind())
                .addParameter(TypeName.INT, "from").addParameter(TypeName.INT, "len").addParameter(jvm.t, "l2");
        one.addStatement("int count = PARAM_COUNT");
        if (UpdateSteps.templateOf(opt).equals("adam")) {
            one.addStatement("long t = steps + 1");
            one.addCode(Jvm.withTypes(templates.skeleton("adam_bias_correction", optimizerVars())));
        }
        one.addStatement("$T gg = l2 != 0 ? scratch : grads", jvm.arrayType);
        one.addStatement("int ggOff = l2 != 0 ? $L * LARGEST_PARAM : from", steps.ggSlot());
        boolean guarded = false;
        for (UpdateSteps.Step st : steps.steps()) {
            if (st.when().equals("l2") != guarded) {
                if (guarded) one.endControlFlow(); else one.beginControlFlow("if (l2 != 0)");
                guarded = !guarded;
            }
            if (!st.when().isEmpty() && !st.when().equals("l2") && !st.runs(false, steps.nesterov())) continue;
            one.beginControlFlow("for (int i = 0; i < len; i++)");
            one.addStatement("$L = $L", element(st.target(), steps), arrays(st, steps));
            one.endControlFlow();
        }
        if (guarded) one.endControlFlow();
        return List.of(update.build(), one.build());
    }

    /** An update step's expression with every array written as its element ({@link UpdateSteps.Step#parts}). */
    private static String arrays(UpdateSteps.Step step, UpdateSteps steps) {
        StringBuilder sb = new StringBuilder();
        List<String> parts = step.parts();
        for (int i = 0; i < parts.size(); i++) sb.append(i % 2 == 0 ? parts.get(i) : element(parts.get(i), steps));
        return sb.toString();
    }

    private static String element(String array, UpdateSteps steps) {
        return switch (array) {
            case "p" -> "params[from + i]";
            case "g" -> "grads[from + i]";
            case "s0" -> "state[from + i]";
            case "s1" -> "state[count + from + i]";
            case "gg" -> "gg[ggOff + i]";
            default -> "scratch[" + (array.charAt(1) - '0') + " * LARGEST_PARAM + i]";
        };
    }

    /** Runs of parameters with the same l2 strength: their end offsets and strengths. */
    void addL2Segments(TypeSpec.Builder cls) {
        ModelIr.Optimizer opt = m.optimizer();
        if (opt == null || opt.l2() == 0 || m.params().stream().noneMatch(ModelIr.Param::weight)) return;
        List<Integer> ends = new ArrayList<>();
        List<Boolean> decays = new ArrayList<>();
        int off = 0;
        for (ModelIr.Param p : m.params()) {
            off += p.node().shape().staticSize();
            if (!decays.isEmpty() && decays.getLast() == p.weight()) {
                ends.set(ends.size() - 1, off);
            } else {
                ends.add(off);
                decays.add(p.weight());
            }
        }
        cls.addField(FieldSpec.builder(ArrayTypeName.of(TypeName.INT), "L2_END", Modifier.PRIVATE, Modifier.STATIC,
                Modifier.FINAL).addJavadoc("Ends of the runs of parameters that share an l2 strength (weights, then "
                + "biases, ...).\n").initializer("{$L}", String.join(", ", ends.stream().map(String::valueOf).toList()))
                .build());
        cls.addField(FieldSpec.builder(jvm.arrayType, "L2", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                .addJavadoc("l2 strength of each run: regularize l2($L) on weights, 0 on biases.\n", opt.l2())
                .initializer("{$L}", String.join(", ", decays.stream().map(w -> jvm.lit(w ? opt.l2() : 0)).toList()))
                .build());
    }
}
