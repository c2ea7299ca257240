package dev.nnc.compiler.emit;

import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The one way a {@code .nn} name becomes a Java identifier in generated code. One instance per
 * generated class hands out identifiers that are valid, unique in the class, and never one of:
 * <ul>
 *   <li>a Java keyword, reserved word, contextual keyword or literal ({@link #JAVA_WORDS});</li>
 *   <li>a simple type name the generated code refers to ({@link #TYPES}: {@code Math},
 *       {@code System}, the runtime's classes, ...), which a field or class of that name would
 *       hide;</li>
 *   <li>a member or local the generator writes itself ({@link #GENERATOR_WORDS}, and the
 *       numbered locals {@code v12}, {@code i0}, {@code acc0}, {@code dropKey0});</li>
 *   <li>an identifier handed out before, or the {@code Off} offset that goes with one.</li>
 * </ul>
 * The {@code .nn} spelling is kept wherever people read names (safetensors, {@code parameters()},
 * {@code inspect}, errors): only identifiers come from here.
 */
public final class JavaNames {

    /** Keywords, reserved words, contextual keywords and literals of Java 25 (JLS 3.8, 3.9, 3.10.3). */
    public static final Set<String> JAVA_WORDS = Set.of(
            "abstract", "assert", "boolean", "break", "byte", "case", "catch", "char", "class", "const",
            "continue", "default", "do", "double", "else", "enum", "extends", "final", "finally", "float",
            "for", "goto", "if", "implements", "import", "instanceof", "int", "interface", "long", "native",
            "new", "package", "private", "protected", "public", "return", "short", "static", "strictfp",
            "super", "switch", "synchronized", "this", "throw", "throws", "transient", "try", "void",
            "volatile", "while", "_",
            // contextual keywords
            "exports", "module", "non-sealed", "open", "opens", "permits", "provides", "record", "requires",
            "sealed", "to", "transitive", "uses", "var", "when", "with", "yield",
            // literals
            "true", "false", "null");

    /**
     * Simple type names the generated code uses or may use unqualified: {@code java.lang} types
     * and the runtime's. A class, field or local with one of these names would hide the type.
     */
    public static final Set<String> TYPES = Set.of(
            "Math", "StrictMath", "System", "String", "Object", "Override", "Integer", "Long", "Float", "Double",
            "Boolean", "Character", "Byte", "Short", "Number", "Void", "Class", "Runtime", "Thread", "Iterable",
            "Exception", "RuntimeException", "Error", "Throwable", "IllegalArgumentException",
            "IllegalStateException", "UnsupportedOperationException", "IndexOutOfBoundsException",
            "ArithmeticException", "Deprecated", "SuppressWarnings", "FunctionalInterface", "SafeVarargs",
            "Record", "Enum", "Comparable", "CharSequence", "StringBuilder", "AutoCloseable", "Cloneable",
            // java.util, java.nio, java.io, javax.annotation.processing types the generator imports
            "List", "Arrays", "Path", "IOException", "Generated",
            // dev.nnc.runtime
            "CompiledModel", "Batch", "TensorInfo", "Role", "DType", "Gemm", "Epilogue", "Init", "Rng", "Parallel",
            "RangeBody", "Feeds", "Params", "SafeTensors", "VectorKernels", "VectorConv", "ModelBase", "FloatModel",
            "DoubleModel", "Conv", "Steps", "Sums", "Lanes", "VectorLanes", "FloatMath", "RowLanes",
            // jdk.incubator.vector types of the Simd loops
            "FloatVector", "DoubleVector", "VectorOperators", "VectorSpecies");

    /**
     * Members and locals the generator writes itself: fields, methods, kernel parameters and the
     * locals of the loop skeletons in {@code codegen-templates} (a test checks that every local
     * a template declares is here).
     */
    public static final Set<String> GENERATOR_WORDS = Set.of(
            // fields and constants of the model class
            "params", "grads", "state", "scratch", "arena", "fixed", "n", "steps", "seed", "maxBatch",
            "updateBody", "partials", "Simd", "FEEDS", "OUTPUTS", "PARAMETERS", "PARAM_COUNT", "LARGEST_PARAM",
            "ARENA_PER_ROW", "FIXED_SIZE", "L2_END", "L2",
            // methods of the model class
            "name", "dtype", "feeds", "outputs", "parameters", "trainStep", "computeGradients", "trainingLoss",
            "loss", "predict", "copyOutput", "copy", "lastBatchSize", "parameter", "setParameter", "gradient",
            "saveWeights", "loadWeights", "load", "forwardPredict", "forwardLoss", "runTraining", "update",
            "updateRange", "updateTensor", "compute", "block", "run", "begin", "outputArray", "outputOffset",
            "requireTrainable",
            // parameters and locals of methods and kernels
            "batch", "withTargets", "withGradients", "rows", "rng", "index", "dst", "dstOffset", "src", "srcOffset",
            "count", "values", "path", "step", "lo", "hi", "r0", "r1", "c0", "c1", "chunk", "chunks", "from", "to",
            "len", "l2", "gg", "ggOff", "out", "outOff", "t", "s",
            // locals of the loop skeletons and update templates
            "r", "in", "o", "j", "max", "sum", "e", "inv", "lse", "total", "label", "scale", "i", "g", "m", "v",
            "stepSize", "vScale", "j0", "plane", "wy", "wx", "rowAt", "best", "at", "gAt", "share", "conv", "work", "workOff");

    /** Numbered locals of kernel bodies: values, loop indices, chunk sums, dropout stream keys. */
    private static final Pattern NUMBERED = Pattern.compile("(v|i|acc|dropKey)[0-9]+");

    private final Set<String> taken = new HashSet<>();

    /** True when no derived identifier may be {@code s}, in any class. */
    public static boolean reserved(String s) {
        return JAVA_WORDS.contains(s) || TYPES.contains(s) || GENERATOR_WORDS.contains(s) || NUMBERED.matcher(s).matches();
    }

    /**
     * {@code Hidden_1.dense_1.weight} → {@code hidden1Dense1Weight}: letters and digits of the
     * {@code .nn} name, camel-cased at every other character, starting lower-case ({@code t} in
     * front when it would start with a digit or be empty).
     */
    public static String camel(String nnName) {
        StringBuilder sb = new StringBuilder();
        boolean upper = false;
        for (int i = 0; i < nnName.length(); i++) {
            char c = nnName.charAt(i);
            if (c < 128 && Character.isLetterOrDigit(c)) {
                sb.append(upper && !sb.isEmpty() ? Character.toUpperCase(c) : c);
                upper = false;
            } else {
                upper = true;
            }
        }
        if (sb.isEmpty() || Character.isDigit(sb.charAt(0))) sb.insert(0, 't');
        sb.setCharAt(0, Character.toLowerCase(sb.charAt(0)));
        return sb.toString();
    }

    /** {@code s} with its first character upper-case. */
    public static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    /**
     * The class name of a model: the {@code .nn} name as written when it is a usable type name,
     * else that name with {@code Model} appended ({@code model System} → {@code SystemModel},
     * {@code model class} → {@code classModel}), and {@code _} after that while the result is
     * still taken ({@code model Float} → {@code FloatModel_}: {@code FloatModel} is the runtime's).
     */
    public static String className(String modelName) {
        String c = camelKeepCase(modelName);
        if (c.equals(modelName) && !reserved(c)) return c;
        c = c + "Model";
        while (reserved(c)) c = c + "_"; // model Float: FloatModel is the runtime's base class
        return c;
    }

    /** Letters, digits and underscores of an ASCII name, {@code T} in front of a leading digit. */
    private static String camelKeepCase(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 128 && (Character.isLetterOrDigit(c) || c == '_')) sb.append(c);
        }
        if (sb.isEmpty() || Character.isDigit(sb.charAt(0)) || sb.toString().equals("_")) sb.insert(0, 'T');
        return sb.toString();
    }

    /** Marks {@code s} as used in this class (the class's own name, a generated member). */
    public void take(String s) {
        taken.add(s);
    }

    /** True when {@code s} may still be handed out (with its {@code Off}). */
    public boolean free(String s) {
        return !reserved(s) && !taken.contains(s) && !reserved(s + "Off") && !taken.contains(s + "Off");
    }

    /**
     * A fresh identifier for a tensor (or a kernel): {@code base} when free, else {@code base}
     * + {@code suffix}, else with {@code _} appended until free. The identifier and its
     * {@code Off} are taken.
     */
    public String claim(String base, String suffix) {
        String candidate = base;
        if (!free(candidate)) candidate = base + suffix;
        while (!free(candidate)) candidate = candidate + "_";
        take(candidate);
        take(candidate + "Off");
        return candidate;
    }

    /**
     * A fresh identifier for a kernel: {@code base}, {@code base2}, ..., {@code base9}, then
     * {@code base_10}, ...; with
     * {@code withClass} its capitalized form (the kernel's nested class) must be free too and is
     * taken with it.
     */
    public String claimKernel(String base, boolean withClass) {
        String name = base;
        // base_N when base2, base3, ... stay reserved (v1 → v12, v13, ... are all numbered locals)
        for (int i = 2; !free(name) || withClass && !free(capitalize(name)); i++) name = base + (i > 9 ? "_" : "") + i;
        take(name);
        take(name + "Off");
        if (withClass) take(capitalize(name));
        return name;
    }
}
