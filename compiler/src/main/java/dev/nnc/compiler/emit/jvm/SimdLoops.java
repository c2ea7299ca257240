package dev.nnc.compiler.emit.jvm;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterizedTypeName;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import dev.nnc.compiler.emit.JavaNames;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.lang.model.element.Modifier;

/**
 * The model's nested class {@value #CLASS}: the lane-parallel (JDK Vector API) form of each
 * elementwise loop that has one, as a static method that runs the whole vectors of the loop from
 * {@code from} and returns where the kernel's scalar loop goes on. A kernel reads
 * {@code Lanes.ON ? Simd.kernel(…, from, to, …) : from}, so without the module the class is never
 * loaded and the scalar loop runs everything.
 *
 * <p>Loops of the same text are one method, named after the first kernel that needs it.
 */
final class SimdLoops {
    /** The nested class's name (a generator word: no model name or kernel takes it). */
    static final String CLASS = "Simd";
    /** The species field of the class. */
    static final String SPECIES = "S";

    static final String VECTOR_PACKAGE = "jdk.incubator.vector";
    static final ClassName FLOAT_VECTOR = ClassName.get(VECTOR_PACKAGE, "FloatVector");
    static final ClassName DOUBLE_VECTOR = ClassName.get(VECTOR_PACKAGE, "DoubleVector");
    static final ClassName VECTOR_OPERATORS = ClassName.get(VECTOR_PACKAGE, "VectorOperators");
    static final ClassName VECTOR_SPECIES = ClassName.get(VECTOR_PACKAGE, "VectorSpecies");
    static final ClassName LANES = ClassName.get(Jvm.RT, "Lanes");
    static final ClassName VECTOR_LANES = ClassName.get(Jvm.RT, "VectorLanes");
    static final ClassName ROW_LANES = ClassName.get(Jvm.RT, "RowLanes");

    private final Jvm jvm;
    private final Map<String, String> nameByText = new HashMap<>();
    /** The class's own namespace: its methods' names come from the naming layer like every other identifier. */
    private final JavaNames names = new JavaNames();
    private final List<MethodSpec> methods = new ArrayList<>();

    SimdLoops(Jvm jvm) {
        this.jvm = jvm;
        names.take(SPECIES);
    }

    /** {@code FloatVector} or {@code DoubleVector}. */
    ClassName vectorType() {
        return jvm.f64 ? DOUBLE_VECTOR : FLOAT_VECTOR;
    }

    /**
     * The variables of {@code jvm/vector.properties}: the vector type, the species, the operators,
     * the literals 0 and 1, the dropout mask's lanes and the runtime's lane functions.
     */
    Map<String, String> vars() {
        Map<String, String> v = jvm.baseVars();
        v.put("V", Jvm.type(vectorType()));
        v.put("S", SPECIES);
        v.put("VO", Jvm.type(VECTOR_OPERATORS));
        v.put("zero", jvm.lit(0));
        v.put("one", jvm.lit(1));
        v.put("keep", Jvm.type(VECTOR_LANES) + (jvm.f64 ? ".dropKeepDouble" : ".dropKeepFloat"));
        v.put("VectorLanes", Jvm.type(VECTOR_LANES));
        return v;
    }

    /**
     * The method running the lanes of one innermost loop over index {@code index} (the outer loops'
     * indices and the loop's bounds {@code from}, {@code to} first, then {@code params}); returns
     * its name, the one of an earlier loop with the same text if there is one.
     *
     * @param base   the kernel's name, which a new method takes (made unique in the class)
     * @param outer  the outer loops' index names
     * @param params further parameters in order (arrays, offsets, mask keys) with their types
     * @param body   the statements of one vector step at {@code index}
     */
    String method(String base, List<String> outer, String index, LinkedHashMap<String, TypeName> params,
            List<CodeBlock> body) {
        String text = build("unnamed", outer, index, params, body).toString();
        String existing = nameByText.get(text);
        if (existing != null) return existing;
        String name = names.claimKernel(JavaNames.camel(base), false);
        nameByText.put(text, name);
        methods.add(build(name, outer, index, params, body));
        return name;
    }

    private static MethodSpec build(String name, List<String> outer, String index,
            LinkedHashMap<String, TypeName> params, List<CodeBlock> body) {
        MethodSpec.Builder m = MethodSpec.methodBuilder(name).addModifiers(Modifier.STATIC).returns(TypeName.INT);
        for (String o : outer) m.addParameter(TypeName.INT, o);
        m.addParameter(TypeName.INT, "from").addParameter(TypeName.INT, "to");
        params.forEach((p, type) -> m.addParameter(type, p));
        m.addStatement("int $L = from", index);
        m.beginControlFlow("for (; $L <= to - $L.length(); $L += $L.length())", index, SPECIES, index, SPECIES);
        body.forEach(m::addCode);
        m.endControlFlow();
        m.addStatement("return $L", index);
        return m.build();
    }

    /** Whether any loop got a lane-parallel form. */
    boolean isEmpty() {
        return methods.isEmpty();
    }

    /** The nested class, or null when no loop has a lane-parallel form. */
    TypeSpec type() {
        if (methods.isEmpty()) return null;
        TypeName boxed = jvm.f64 ? ClassName.get(Double.class) : ClassName.get(Float.class);
        return TypeSpec.classBuilder(CLASS).addModifiers(Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                .addJavadoc("The kernels' elementwise loops on the JDK Vector API, in $L lanes, as many as the"
                        + " machine's\nvectors hold. Each method runs the whole vectors of one innermost loop from"
                        + " {@code from} and\nreturns where the kernel's scalar loop goes on. Kernels call them only"
                        + " when {@link $T#ON}, so\nthis class is never loaded without {@code jdk.incubator.vector}."
                        + " Lane for lane they compute the\nscalar loop's bits (only correctly rounded operations, and"
                        + " FloatMath's functions built from\nthem, have a lane form), so results do not depend on"
                        + " where a loop is split.\n",
                        jvm.f64 ? "double" : "float", LANES)
                .addField(FieldSpec.builder(ParameterizedTypeName.get(VECTOR_SPECIES, boxed), SPECIES,
                                Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                        .initializer("$T.$L", VECTOR_LANES, jvm.f64 ? "D" : "F").build())
                .addMethods(methods).build();
    }
}
