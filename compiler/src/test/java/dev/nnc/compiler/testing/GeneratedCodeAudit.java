package dev.nnc.compiler.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.nnc.compiler.api.GeneratedSource;
import dev.nnc.compiler.api.InMemoryJavac;
import dev.nnc.compiler.emit.JavaText;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.MethodModel;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.classfile.instruction.FieldInstruction;
import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.constant.DirectMethodHandleDesc;
import java.lang.constant.MethodHandleDesc;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What generated code may contain, checked on the source and on the bytecode javac makes of it
 * ({@code java.lang.classfile}). A {@code .nn} program is untrusted: whatever it says, the class
 * may only call the runtime ({@code dev.nnc.runtime}), {@code java.lang.Math}, itself, and the
 * few JDK methods the generator writes ({@link #JDK_CALLS}, and the Vector API's lane arithmetic of
 * the {@code Simd} loops, {@link #VECTOR_CALLS}); it may only touch fields of itself, of the runtime
 * and the two comparison operators the {@code Simd} loops use; its only dynamic calls are string
 * concatenation and method references to itself.
 */
public final class GeneratedCodeAudit {
    private GeneratedCodeAudit() {
    }

    /** The JDK methods the generator itself emits, outside {@code java.lang.Math}. */
    public static final Set<String> JDK_CALLS = Set.of(
            "java/lang/Object.<init>",
            "java/lang/System.arraycopy",
            "java/util/Arrays.fill",
            "java/util/List.of",
            "java/util/List.size",
            "java/lang/IllegalArgumentException.<init>",
            "java/lang/UnsupportedOperationException.<init>",
            "java/lang/IndexOutOfBoundsException.<init>");

    /** The Vector API methods the {@code Simd} loops call (jdk.incubator.vector: loads, stores, lane arithmetic). */
    public static final Set<String> VECTOR_CALLS = vectorCalls();

    /** The Vector API fields the {@code Simd} loops read. */
    public static final Set<String> VECTOR_FIELDS = Set.of("jdk/incubator/vector/VectorOperators.GT",
            "jdk/incubator/vector/VectorOperators.LT");

    private static Set<String> vectorCalls() {
        Set<String> calls = new java.util.HashSet<>();
        for (String type : List.of("FloatVector", "DoubleVector")) {
            for (String m : List.of("fromArray", "intoArray", "broadcast", "zero", "add", "sub", "mul", "div", "neg",
                    "sqrt", "max", "min", "blend", "compare")) {
                calls.add("jdk/incubator/vector/" + type + "." + m);
            }
        }
        calls.add("jdk/incubator/vector/VectorSpecies.length");
        calls.add("jdk/incubator/vector/VectorMask.and");
        return Set.copyOf(calls);
    }

    /** Source rules ({@link JavaText#isSafeSource}), then javac -Xlint:all -Werror, then the bytecode audit. */
    public static Map<String, byte[]> compileAndAudit(List<GeneratedSource> sources) {
        for (GeneratedSource s : sources) {
            assertTrue(JavaText.isSafeSource(s.code()), () -> "unsafe characters or a unicode escape in "
                    + s.qualifiedName() + ":\n" + firstUnsafeLine(s.code()));
        }
        Map<String, byte[]> classes = InMemoryJavac.compileToBytes(sources, true);
        List<String> roots = sources.stream().map(s -> s.qualifiedName().replace('.', '/')).toList();
        List<String> problems = new ArrayList<>();
        classes.forEach((name, bytes) -> problems.addAll(audit(bytes, roots)));
        if (!problems.isEmpty()) fail("generated code does what the program did not ask for:\n" + String.join("\n", problems));
        return classes;
    }

    private static String firstUnsafeLine(String code) {
        String[] lines = code.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (!JavaText.isSafeSource(lines[i])) return (i + 1) + ": " + lines[i];
        }
        return "(across lines)";
    }

    /** Every call, field access and dynamic call of one class file that is not allowed. */
    public static List<String> audit(byte[] bytes, List<String> roots) {
        ClassModel cm = ClassFile.of().parse(bytes);
        String self = cm.thisClass().asInternalName();
        List<String> bad = new ArrayList<>();
        for (MethodModel mm : cm.methods()) {
            String where = self + "." + mm.methodName().stringValue();
            CodeAttribute code = mm.findAttribute(java.lang.classfile.Attributes.code()).orElse(null);
            if (code == null) continue;
            for (CodeElement e : code) {
                switch (e) {
                    case InvokeInstruction inv -> {
                        String owner = inv.owner().asInternalName();
                        String target = owner + "." + inv.name().stringValue();
                        if (!own(owner, roots) && !owner.startsWith("dev/nnc/runtime/")
                                && !owner.equals("java/lang/Math") && !JDK_CALLS.contains(target)
                                && !VECTOR_CALLS.contains(target)) {
                            bad.add(where + " calls " + target);
                        }
                    }
                    case FieldInstruction f -> {
                        String owner = f.owner().asInternalName();
                        if (!own(owner, roots) && !owner.startsWith("dev/nnc/runtime/")
                                && !VECTOR_FIELDS.contains(owner + "." + f.name().stringValue())) {
                            bad.add(where + " reads or writes " + owner + "." + f.name().stringValue());
                        }
                    }
                    case InvokeDynamicInstruction indy -> {
                        DirectMethodHandleDesc bsm = indy.bootstrapMethod();
                        String bsmOwner = bsm.owner().descriptorString();
                        if (bsmOwner.equals("Ljava/lang/invoke/StringConcatFactory;")) break;
                        if (bsmOwner.equals("Ljava/lang/invoke/LambdaMetafactory;")) {
                            for (var arg : indy.bootstrapArgs()) {
                                if (arg instanceof MethodHandleDesc mh && mh instanceof DirectMethodHandleDesc d
                                        && !own(d.owner().descriptorString().replaceAll("^L|;$", ""), roots)) {
                                    bad.add(where + " makes a method reference to " + d.owner().displayName() + "."
                                            + d.methodName());
                                }
                            }
                            break;
                        }
                        bad.add(where + " has a dynamic call bootstrapped by " + bsm.owner().displayName());
                    }
                    default -> {
                    }
                }
            }
        }
        return bad;
    }

    private static boolean own(String internalName, List<String> roots) {
        for (String r : roots) {
            if (internalName.equals(r) || internalName.startsWith(r + "$")) return true;
        }
        return false;
    }
}
