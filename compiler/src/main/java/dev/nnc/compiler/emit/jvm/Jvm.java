package dev.nnc.compiler.emit.jvm;

import com.palantir.javapoet.ArrayTypeName;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeName;
import java.util.HashMap;
import java.util.Map;
import javax.lang.model.element.Modifier;

/**
 * What every writer of the JVM backend shares: the element type of the model being written (f32
 * or f64) with its literals, casts and template variables, the runtime's classes, and the one way
 * kernel text with class references becomes code.
 */
final class Jvm {
    static final String RT = "dev.nnc.runtime";
    static final ClassName RNG = ClassName.get(RT, "Rng");
    static final ClassName FLOAT_MATH = ClassName.get(RT, "FloatMath");
    static final ClassName PARALLEL = ClassName.get(RT, "Parallel");
    static final ClassName ARRAYS = ClassName.get("java.util", "Arrays");

    /**
     * Marks a class reference in kernel text ({@link #type}); never in generated code, since every
     * character of .nn text that reaches it is printable ASCII (JavaText) and the templates are ours.
     */
    private static final char TYPE_MARK = '\u0001';

    final boolean f64;
    /** {@code float} or {@code double}. */
    final TypeName t;
    /** {@code float[]} or {@code double[]}. */
    final ArrayTypeName arrayType;

    Jvm(boolean f64) {
        this.f64 = f64;
        this.t = f64 ? TypeName.DOUBLE : TypeName.FLOAT;
        this.arrayType = ArrayTypeName.of(t);
    }

    /**
     * A literal of the element type: {@code 0.5f}, {@code (-1.0f)}; {@code 0.5}, {@code (-1.0)} in f64.
     * A finite constant beyond the float range (a {@code 1e39} in an f32 model) is what rounding it to
     * float gives, an infinity, written as the constant expression {@code (1.0f / 0.0f)}: javac
     * rejects {@code Infinityf}.
     */
    String lit(double v) {
        if (!f64 && Float.isInfinite((float) v)) {
            return v > 0 ? "(1.0f / 0.0f)" : "(-1.0f / 0.0f)";
        }
        String s = f64 ? Double.toString(v) : Float.toString((float) v) + "f";
        return v < 0 ? "(" + s + ")" : s;
    }

    /** {@code (float) } in f32, nothing in f64. */
    String cast() {
        return f64 ? "" : "(float) ";
    }

    String typeName() {
        return f64 ? "double" : "float";
    }

    /** The variables every template may use: the element type, its cast, and the classes templates name. */
    Map<String, String> baseVars() {
        Map<String, String> v = new HashMap<>();
        v.put("T", typeName());
        v.put("cast", cast());
        v.put("Rng", type(RNG));
        v.put("FloatMath", type(FLOAT_MATH));
        v.put("Arrays", type(ARRAYS));
        return v;
    }

    /** A class reference inside kernel text or a template variable: {@link #withTypes} makes it a {@code $T}. */
    static String type(ClassName c) {
        return TYPE_MARK + c.reflectionName() + TYPE_MARK;
    }

    /**
     * Kernel text → code: the class references it holds ({@link #type}; the templates write them
     * as {@code ${Rng}}, {@code ${Arrays}}) become {@code $T} arguments, so JavaPoet imports them.
     */
    static CodeBlock withTypes(String text) {
        CodeBlock.Builder b = CodeBlock.builder();
        String[] parts = text.split(String.valueOf(TYPE_MARK), -1);
        if (parts.length % 2 == 0) throw new IllegalStateException("unbalanced class reference in kernel text");
        for (int i = 0; i < parts.length; i++) {
            if (i % 2 == 0) {
                if (!parts[i].isEmpty()) b.add("$L", parts[i]);
            } else {
                b.add("$T", ClassName.bestGuess(parts[i]));
            }
        }
        return b.build();
    }

    /** A protected override of one of the runtime base class's hooks. */
    static MethodSpec.Builder hook(String name, TypeName returns) {
        return MethodSpec.methodBuilder(name).addAnnotation(Override.class).addModifiers(Modifier.PROTECTED)
                .returns(returns);
    }
}
