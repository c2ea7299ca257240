package dev.nnc.compiler.emit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.api.GeneratedSource;
import dev.nnc.compiler.api.InMemoryJavac;
import dev.nnc.compiler.testing.GeneratedCodeAudit;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.lang.model.SourceVersion;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The escaping and naming layer on its own, and the bytecode audit on code written to fail it. */
class JavaTextAndNamesTest {

    /** Strings made of the characters that break generated Java. */
    @Provide
    Arbitrary<String> hostile() {
        return Arbitraries.strings().withChars('\\', 'u', '0', 'a', '*', '/', '{', '}', '@', '<', '&', '"', '\n', '\r',
                '\f', '\t', (char) 0x85, (char) 0x2028, (char) 0x2029, (char) 0x202e, '\u00e9', (char) 0xd83d,
                (char) 0xde00, 'x', ' ').ofMaxLength(40);
    }

    @Property(tries = 2000)
    void commentsJavadocAndLiteralsStayInTheirPlace(@ForAll("hostile") String s) {
        String comment = JavaText.comment(s);
        String doc = JavaText.javadoc(s);
        String code = JavaText.javadocCode(s);
        for (String t : List.of(comment, doc, code)) {
            assertTrue(JavaText.isSafeSource(t), () -> "unsafe: " + t);
            assertFalse(t.contains("\n"), t);
            assertFalse(t.contains("*/"), t);
        }
        // a backslash right before text that follows in the generated file cannot start an escape either
        assertTrue(JavaText.isSafeSource(comment + "u000a"), comment);
        assertFalse(doc.contains("<") && !doc.contains("&lt;") && doc.indexOf('<') >= 0, doc);
        String lit = JavaText.literal(s).toString();
        assertTrue(JavaText.isSafeSource(lit), lit);
        assertTrue(lit.startsWith("\"") && lit.endsWith("\""), lit);
    }

    @Test
    void examples() {
        assertEquals("a \\\\u000a b", JavaText.comment("a \\u000a b"));
        assertEquals("x * / y ** /", JavaText.comment("x */ y **/"));
        assertEquals("line?break?and?more", JavaText.comment("line\rbreak\u2028and\u0085more"));
        assertEquals("caf? ?", JavaText.comment("caf\u00e9 \ud83d\ude00"));
        assertEquals("{@code h = x |> relu}", JavaText.javadocCode("h = x |> relu"));
        assertEquals("<code>a &#123; b</code>", JavaText.javadocCode("a { b"));
        assertEquals("a &lt;b&gt; &amp; *&#47;", JavaText.javadoc("a <b> & */"));
        assertEquals("\"say \\\"hi\\\" \\\\u000a\"", JavaText.literal("say \"hi\" \\u000a").toString());
        assertFalse(JavaText.isSafeSource("// \\u000a"));
        assertTrue(JavaText.isSafeSource("// \\\\u000a"));
        assertFalse(JavaText.isSafeSource("// \\\\\\u000a"));
        assertFalse(JavaText.isSafeSource("a\rb"));
    }

    @Provide
    Arbitrary<String> nnNames() {
        Arbitrary<String> words = Arbitraries.of(List.copyOf(JavaNames.JAVA_WORDS)).filter(w -> w.matches("[a-z_]+"));
        Arbitrary<String> gen = Arbitraries.of(List.copyOf(JavaNames.GENERATOR_WORDS));
        Arbitrary<String> types = Arbitraries.of(List.copyOf(JavaNames.TYPES));
        Arbitrary<String> ids = Arbitraries.strings().withChars("abcAB_019").ofMinLength(1).ofMaxLength(6)
                .filter(s -> !Character.isDigit(s.charAt(0)));
        return Arbitraries.oneOf(words, gen, types, ids, ids.map(s -> s + "Off"), ids.map(s -> "v" + s.length()));
    }

    @Provide
    Arbitrary<List<String>> nnNameLists() {
        return nnNames().list().ofMaxSize(40);
    }

    @Property(tries = 300)
    void claimedNamesAreValidUniqueAndNeverReserved(@ForAll("nnNameLists") List<String> names) {
        JavaNames ids = new JavaNames();
        Set<String> seen = new HashSet<>();
        int i = 0;
        for (String n : names) {
            String id = ids.claim(JavaNames.camel(n), Integer.toString(i++));
            assertTrue(SourceVersion.isName(id, SourceVersion.latest()), id);
            assertFalse(JavaNames.reserved(id), id);
            assertTrue(seen.add(id), "handed out twice: " + id);
            assertTrue(seen.add(id + "Off") || !seen.contains(id + "Off"), id);
            String k = ids.claimKernel(JavaNames.camel(n), true);
            assertTrue(seen.add(k) && seen.add(JavaNames.capitalize(k)), "kernel name handed out twice: " + k);
            assertTrue(SourceVersion.isName(JavaNames.capitalize(k), SourceVersion.latest()), k);
        }
    }

    @Property(tries = 500)
    void classNamesAreUsableTypeNames(@ForAll("nnNames") String model) {
        String c = JavaNames.className(model);
        assertTrue(SourceVersion.isName(c, SourceVersion.latest()), c);
        assertFalse(JavaNames.reserved(c), c);
    }

    @Test
    void classNamesKeepTheNnSpellingWhenTheyCan() {
        assertEquals("FashionMlp", JavaNames.className("FashionMlp"));
        assertEquals("classModel", JavaNames.className("class"));
        assertEquals("SystemModel", JavaNames.className("System"));
        assertEquals("GemmModel", JavaNames.className("Gemm"));
        assertEquals("hidden1Dense1Weight", JavaNames.camel("Hidden_1.dense_1.weight"));
        assertNotEquals("public", new JavaNames().claim("public", "3"));
    }

    /** The audit flags what a hostile program would want: the audit itself can fail. */
    @Test
    void theBytecodeAuditFlagsCallsTheGeneratorNeverWrites() {
        GeneratedSource evil = new GeneratedSource("evil", "Evil", """
                package evil;
                public final class Evil {
                    public static void run(float[] a) throws Exception {
                        java.util.Arrays.fill(a, 0f);
                        a[0] = (float) Math.exp(a[1]);
                        System.out.println("hi");
                        Runtime.getRuntime().exec(new String[] {"true"});
                        Runnable r = System::gc;
                        r.run();
                        Class.forName("java.lang.Thread");
                    }
                }
                """);
        var classes = InMemoryJavac.compileToBytes(List.of(evil), false);
        List<String> problems = GeneratedCodeAudit.audit(classes.get("evil.Evil"), List.of("evil/Evil"));
        String all = String.join("\n", problems);
        assertTrue(all.contains("reads or writes java/lang/System.out"), all);
        assertTrue(all.contains("calls java/io/PrintStream.println"), all);
        assertTrue(all.contains("calls java/lang/Runtime.exec"), all);
        assertTrue(all.contains("method reference to java.lang.System.gc")
                || all.contains("method reference to System.gc"), all);
        assertTrue(all.contains("calls java/lang/Class.forName"), all);
        assertFalse(all.contains("Arrays.fill") || all.contains("Math.exp"), all);
    }
}
