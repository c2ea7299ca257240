package dev.nnc.compiler.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.api.CompileResult;
import dev.nnc.compiler.api.GeneratedSource;
import dev.nnc.compiler.api.InMemoryJavac;
import dev.nnc.compiler.api.Nnc;
import dev.nnc.compiler.api.SourceFile;
import dev.nnc.compiler.ast.Parser;
import dev.nnc.compiler.diag.Diagnostic;
import dev.nnc.compiler.diag.ErrorCode;
import dev.nnc.compiler.emit.JavaNames;
import dev.nnc.compiler.emit.JavaText;
import dev.nnc.compiler.testing.GeneratedCodeAudit;
import dev.nnc.runtime.Batch;
import dev.nnc.runtime.CompiledModel;
import dev.nnc.runtime.TensorInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Programs written to break the code generator: unicode escapes and every kind of line terminator
 * in comments, {@code * /} and {@code /*}, very long lines, Java keywords, {@code java.lang} and
 * runtime type names and the generator's own member names as every kind of {@code .nn} name, and
 * hostile file names. Each one must be accepted by {@code nnc check} (or rejected with a positioned
 * error), and its generated Java must keep to {@link JavaText#isSafeSource}, compile with
 * {@code javac -Xlint:all -Werror}, and pass the bytecode audit ({@link GeneratedCodeAudit}): no
 * call the program did not ask for. Many programs go to javac at once, one package each.
 */
class HostileProgramsTest {

    /** A program and the file name it is compiled under. */
    record Case(String what, String file, String program) {
    }

    // ---- the programs ----

    /** A small trainable network; {@code %s} is replaced by a trailing comment or extra text on its code lines. */
    private static String net(String model, String tail) {
        return """
                model %1$s {
                    input  x: f32[N, 6]
                    target y: i32[N]
                    h = x |> dense(5) |> relu |> dropout(0.1) %2$s
                    logits = dense(h, 3) as head %2$s
                    output softmax(logits)
                    loss cross_entropy(logits, y) %2$s
                    optimizer adam(lr = 0.01)
                    regularize l2(1e-4)
                }
                """.formatted(model, tail);
    }

    /** W as the model name (blocks and models share one name space: {@link #roleSetA} has the block). */
    private static String modelNamed(String w) {
        return net(w, "");
    }

    /** W as an input name, next to its own {@code Off}. */
    private static String inputNamed(String w) {
        return """
                model M {
                    input  %1$s: f32[N, 6]
                    %1$sOff = %1$s |> relu
                    output %1$sOff
                }
                """.formatted(w);
    }

    /** W as the block, block parameter and {@code as} name. */
    private static String roleSetA(String w) {
        return """
                block %1$s(%1$s, width) {
                    return %1$s |> dense(width) |> tanh
                }
                model M {
                    input  x: f32[N, 6]
                    target y: i32[N]
                    h = x |> %1$s(4)
                    logits = dense(h, 3) as %1$s
                    output logits
                    loss cross_entropy(logits, y)
                    optimizer sgd(lr = 0.1, momentum = 0.9)
                }
                """.formatted(w);
    }

    /** W as the target, a hand parameter, an assigned tensor and an output. */
    private static String roleSetB(String w) {
        return """
                model M {
                    input  x: f32[N, 6]
                    target %1$s: f32[N, 2]
                    param  w: f32[6, 2] = xavier_uniform
                    %1$sOff = x @ w
                    %1$s_ = sigmoid(%1$sOff)
                    output %1$s_
                    loss mse(%1$s_, %1$s)
                    optimizer adam(lr = 0.01)
                }
                """.formatted(w).replace("param  w:", "param  " + w + "w:").replace("x @ w", "x @ " + w + "w");
    }

    /** W as an assigned tensor, a parameter and an output, next to its own {@code Off}. */
    private static String roleSetC(String w) {
        return """
                model M {
                    input  x: f32[N, 6]
                    target y: i32[N]
                    param  %1$s: f32[6, 3] = he_normal
                    %1$sOff = relu(x @ %1$s)
                    output %1$sOff
                    loss cross_entropy(%1$sOff, y)
                    optimizer sgd(lr = 0.1)
                }
                """.formatted(w);
    }

    private static final List<String> NN_KEYWORDS = List.of("model", "block", "input", "target", "param", "output",
            "loss", "optimizer", "regularize", "return", "as", "true", "false");

    private static final char[] LINE_BREAKERS = {'\r', '\u000b', '\f', (char) 0x85, (char) 0x2028, (char) 0x2029};

    /** Java words that are also names in .nn (its own keywords aside: they get a syntax error). */
    private static List<String> javaWordsUsableInNn() {
        return new TreeSet<>(JavaNames.JAVA_WORDS).stream()
                .filter(w -> w.matches("[a-zA-Z_][a-zA-Z_0-9]*"))
                .filter(w -> !NN_KEYWORDS.contains(w))
                .toList();
    }

    static List<Case> cases() {
        List<Case> cs = new ArrayList<>();
        // unicode escapes in comments: javac translates them before it lexes, comments included
        cs.add(new Case("unicode newline escape in a comment", "escape.nn",
                net("Escape", "// \\u000a System.exit(42); //")));
        cs.add(new Case("unicode escapes of every odd kind", "escape2.nn",
                net("Escape2", "// \\u000d System.exit(1); \\uuu000a Runtime.getRuntime(); \\u002a\\u002f \\\\u000a \\\\\\u000a")));
        cs.add(new Case("unicode escape closing a javadoc", "escape3.nn",
                net("Escape3", "// \\u002a/ static { System.exit(3); } /\\u002a")));
        cs.add(new Case("a backslash at the end of a comment", "backslash.nn", net("Backslash", "// ends in \\")));
        // every line terminator and control character inside a comment on a code line
        for (char c : LINE_BREAKERS) {
            if (c == '\r') continue; // ends a .nn comment too: the case after this one
            String hex = Integer.toHexString(c);
            cs.add(new Case("line terminator U+" + hex + " in a comment", "lt" + hex + ".nn",
                    net("Lt" + hex, "// before" + c + " System.exit(4); after")));
        }
        cs.add(new Case("a carriage return that ends a .nn comment mid-line", "cr.nn", """
                model Cr {
                    input  x: f32[N, 6]
                    h = x |> relu // note\r  o = h |> tanh
                    output o
                }
                """));
        cs.add(new Case("bidi overrides and non-ASCII text in comments", "bidi.nn",
                net("Bidi", "// \u202e }; System.exit(5); // \u2066 caf\u00e9 \ud83d\ude00 \u0000")));
        // comment delimiters
        cs.add(new Case("*/ and /* in comments", "delims.nn", net("Delims", "// */ static { } /* {@code } <b> @param &amp;")));
        cs.add(new Case("block comments on code lines", "blocks.nn", net("Blocks", "/* a /* b **/ /***/")));
        cs.add(new Case("a block comment over several lines", "multi.nn", """
                model Multi {
                    input  x: f32[N, 6] /* starts here
                    */ h = x |> relu /* and again
                       */ output h
                }
                """));
        // very long lines and names
        cs.add(new Case("a 5,000-character comment with spaces", "long.nn",
                net("Long", "// " + "word, ".repeat(830))));
        cs.add(new Case("a 5,000-character comment without spaces", "long2.nn", net("Long2", "// " + "x".repeat(5000))));
        String longName = "n".repeat(Parser.MAX_NAME);
        cs.add(new Case("names of the longest length", "longname.nn", roleSetA(longName)));
        cs.add(new Case("a model name of the longest length", "longmodel.nn", modelNamed(longName)));
        cs.add(new Case("a long expression line", "longexpr.nn", """
                model LongExpr {
                    input  x: f32[N, 6]
                    h = x%s
                    output h
                }
                """.formatted(" |> relu |> tanh".repeat(60))));
        // names: Java keywords, type names the generated code uses, the generator's own members
        for (String w : javaWordsUsableInNn()) {
            cs.add(new Case("Java word '" + w + "' as the model name", "kwm_" + w + ".nn", modelNamed(w)));
            cs.add(new Case("Java word '" + w + "' as an input name", "kwi_" + w + ".nn", inputNamed(w)));
            cs.add(new Case("Java word '" + w + "' as block/block parameter/as name", "kw_" + w + ".nn", roleSetA(w)));
            cs.add(new Case("Java word '" + w + "' as target/param/tensor name", "kwb_" + w + ".nn", roleSetB(w)));
        }
        for (String w : List.of("Math", "System", "String", "Object", "Override", "Integer", "Thread", "Runtime",
                "Class", "Exception", "Double", "Float", "Gemm", "Rng", "Batch", "CompiledModel", "Parallel", "Arrays",
                "List", "Path", "Generated", "TensorInfo", "Feeds", "Params", "SafeTensors", "Init", "DType")) {
            cs.add(new Case("type name '" + w + "' as the model name", "tym_" + w + ".nn", modelNamed(w)));
            cs.add(new Case("type name '" + w + "' as an input name", "tyi_" + w + ".nn", inputNamed(w)));
            cs.add(new Case("type name '" + w + "' as block/block parameter/as name", "ty_" + w + ".nn", roleSetA(w)));
            cs.add(new Case("type name '" + w + "' as tensor/param name", "tyc_" + w + ".nn", roleSetC(w)));
        }
        for (String w : new TreeSet<>(JavaNames.GENERATOR_WORDS)) {
            if (!w.matches("[a-zA-Z_][a-zA-Z_0-9]*") || NN_KEYWORDS.contains(w)) continue;
            cs.add(new Case("generated member '" + w + "' as a name", "gen_" + w + ".nn", roleSetC(w)));
        }
        for (String w : List.of("v1", "v12", "i0", "i1", "acc0", "dropKey0", "matmul4", "matmulAddHead",
                "MatmulAddHead", "dMatmul", "dCrossEntropyGrad8", "tanh", "M", "a_b", "aB", "_", "__", "_1", "x1")) {
            cs.add(new Case("name '" + w + "' like a generated local or kernel", "loc_" + w + ".nn", roleSetC(w)));
        }
        cs.add(new Case("model named like its kernels", "kernels.nn", net("MatmulAddHead", "")));
        cs.add(new Case("two models whose classes would clash", "clash.nn",
                net("System", "") + net("SystemModel", "")));
        // hostile file names
        cs.add(new Case("a file name with a newline, */ and an escape", "we\nird */ {@code \\u000a}\r\u2028.nn",
                net("FileName", "")));
        cs.add(new Case("a non-ASCII file name", "mod\u00e8le-\u65e5\u672c.nn", net("FileName2", "")));
        return cs;
    }

    // ---- the checks ----

    @Test
    void hostileProgramsCompileToSafeJavaThatDoesOnlyWhatTheyAsk() {
        List<Case> cases = cases();
        List<GeneratedSource> all = new ArrayList<>();
        Map<String, Case> byPackage = new LinkedHashMap<>();
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            SourceFile src = new SourceFile(c.file(), c.program());
            List<Diagnostic> diags = Nnc.check(src);
            assertTrue(diags.isEmpty(), () -> c.what() + ": nnc check rejected it:\n"
                    + diags.stream().map(Diagnostic::format).reduce("", (a, b) -> a + b + "\n") + c.program());
            String pkg = "hostile.c" + i;
            CompileResult r = Nnc.compile(src, CompileOptions.defaults().withPackage(pkg));
            assertTrue(r.ok(), () -> c.what() + ":\n" + r.formatDiagnostics());
            if (c.program().contains("dropout(0.1)")) { // made by net(): every 'h =' and 'logits =' line makes kernels
                for (GeneratedSource g : r.sources()) assertEcho(c, g);
            }
            all.addAll(r.sources());
            byPackage.put(pkg, c);
        }
        GeneratedCodeAudit.compileAndAudit(all);
    }

    /** Every other variant (f64, inference, unfused and unplanned) of a few of them. */
    @Test
    void otherVariantsOfHostileProgramsAreSafeToo() {
        List<Case> some = cases().stream().filter(c -> c.file().startsWith("escape") || c.file().startsWith("lt")
                || c.file().equals("kw_public.nn") || c.file().equals("gen_params.nn") || c.file().equals("delims.nn"))
                .toList();
        assertTrue(some.size() >= 8);
        List<GeneratedSource> all = new ArrayList<>();
        int i = 0;
        for (Case c : some) {
            for (CompileOptions o : List.of(CompileOptions.defaults().withDtype(CompileOptions.Precision.F64),
                    CompileOptions.defaults().withMode(CompileOptions.Mode.INFERENCE),
                    CompileOptions.defaults().withFuse(false).withPlan(false))) {
                CompileResult r = Nnc.compile(new SourceFile(c.file(), c.program()), o.withPackage("variant.c" + i++));
                assertTrue(r.ok(), () -> c.what() + ":\n" + r.formatDiagnostics());
                all.addAll(r.sources());
            }
        }
        GeneratedCodeAudit.compileAndAudit(all);
    }

    /**
     * Every code line that makes a kernel is echoed whole, on one line (a {@code //} comment or a
     * kernel's Javadoc), however long it is.
     */
    private static void assertEcho(Case c, GeneratedSource g) {
        for (String line : c.program().split("\n", -1)) {
            String l = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
            if (!l.strip().startsWith("h = ") && !l.strip().startsWith("logits = ")) continue;
            String comment = JavaText.comment(l.strip());
            String doc = JavaText.javadoc(l.strip());
            assertTrue(g.code().lines().anyMatch(x -> x.contains(comment) || x.contains(doc)),
                    () -> c.what() + ": line not echoed whole on one line: " + l + "\n" + g.code());
        }
    }

    @Test
    void keywordsKeepTheirNnSpellingWhereUsersSeeNames() throws Exception {
        String program = """
                block record(var, width) {
                    return var |> dense(width) |> tanh
                }
                model public {
                    input  class: f32[N, 6]
                    target new: i32[N]
                    h = class |> record(4)
                    logits = dense(h, 3) as public
                    output logits
                    loss cross_entropy(logits, new)
                    optimizer sgd(lr = 0.1, momentum = 0.9)
                }
                """;
        CompileResult r = Nnc.compile(new SourceFile("kw.nn", program), CompileOptions.defaults());
        assertTrue(r.ok(), r.formatDiagnostics());
        GeneratedSource g = r.sources().getFirst();
        assertEquals("publicModel", g.className());
        CompiledModel model = (CompiledModel) InMemoryJavac.compile(r.sources(), true).get(g.qualifiedName())
                .getConstructor(int.class, long.class).newInstance(8, 1L);
        assertEquals("public", model.name());
        assertEquals(List.of("class", "new"), model.feeds().stream().map(TensorInfo::name).toList());
        assertEquals(List.of("record_1.dense_1.weight", "record_1.dense_1.bias", "public.weight", "public.bias"),
                model.parameters().stream().map(TensorInfo::name).toList());
        // and it trains: a step on random data gives a finite loss that goes down
        Random rnd = new Random(3);
        float[] x = new float[8 * 6];
        int[] y = new int[8];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < y.length; i++) y[i] = rnd.nextInt(3);
        Batch b = new Batch(2).set(0, x).set(1, y).size(8);
        double first = model.trainStep(b);
        double last = first;
        for (int s = 0; s < 50; s++) last = model.trainStep(b);
        assertTrue(Double.isFinite(first) && last < first, "loss " + first + " -> " + last);
        String inspect = Nnc.inspect(new SourceFile("kw.nn", program),
                dev.nnc.compiler.api.Stage.IR, CompileOptions.defaults()).text();
        assertTrue(inspect.contains("class") && inspect.contains("record_1.dense_1.weight"), inspect);
    }

    @Test
    void languageKeywordsUnicodeNamesAndHugeModelsGetPositionedErrors() {
        record Rejected(String program, ErrorCode code, int line, int column) {
        }
        String tooLong = "n".repeat(Parser.MAX_NAME + 1);
        for (Rejected rj : List.of(
                new Rejected("model M {\n    input return: f32[N, 4]\n    output x\n}\n", ErrorCode.SYNTAX, 2, 11),
                new Rejected("model output {\n    input x: f32[N, 4]\n    output x\n}\n", ErrorCode.SYNTAX, 1, 7),
                new Rejected("model M {\n    input caf\u00e9: f32[N, 4]\n    output x\n}\n", ErrorCode.LEXER, 2, 14),
                new Rejected("model M {\n    input " + tooLong + ": f32[N, 4]\n    output x\n}\n",
                        ErrorCode.NAME_TOO_LONG, 2, 11),
                new Rejected("model M {\n    input x: f32[N, 2000000000]\n    h = relu(x)\n    output h\n}\n",
                        ErrorCode.TOO_LARGE, 3, 9))) {
            List<Diagnostic> ds = Nnc.check(new SourceFile("bad.nn", rj.program()));
            assertFalse(ds.isEmpty(), rj.program());
            Diagnostic d = ds.getFirst();
            assertEquals(rj.code(), d.code(), d.format());
            assertEquals(rj.line(), d.line(), d.format());
            assertEquals(rj.column(), d.column(), d.format());
            assertTrue(d.format().startsWith("bad.nn:" + rj.line() + ":" + rj.column() + ": error: "), d.format());
        }
    }

    /** Every local a loop skeleton or update template declares is a name no tensor can take. */
    @Test
    void templateLocalsAreReserved() throws java.io.IOException {
        java.util.regex.Pattern decl = java.util.regex.Pattern.compile(
                "(?:\\bint|\\blong|\\bdouble|\\bfloat|\\$\\{T\\})\\s+([A-Za-z_][A-Za-z_0-9]*)\\s*=");
        List<String> missing = new ArrayList<>();
        int found = 0;
        try (Stream<java.nio.file.Path> files = java.nio.file.Files.list(templatesDir())) {
            for (java.nio.file.Path f : files.toList()) {
                java.util.regex.Matcher m = decl.matcher(java.nio.file.Files.readString(f));
                while (m.find()) {
                    found++;
                    if (!JavaNames.reserved(m.group(1))) missing.add(f.getFileName() + ": " + m.group(1));
                }
            }
        }
        assertTrue(found > 10, "found only " + found + " declarations: is the template folder right?");
        assertEquals(List.of(), missing, "template locals a tensor name could take");
    }

    /** The JVM templates in the source tree (tests run in the compiler module's folder). */
    private static java.nio.file.Path templatesDir() {
        java.nio.file.Path p = java.nio.file.Path.of("..", "codegen-templates", "src", "main", "resources", "dev", "nnc",
                "templates", "jvm");
        assertTrue(java.nio.file.Files.isDirectory(p), "no template folder at " + p.toAbsolutePath());
        return p;
    }
}
