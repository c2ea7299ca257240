package dev.nnc.compiler.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.api.CompileResult;
import dev.nnc.compiler.api.GeneratedSource;
import dev.nnc.compiler.api.Nnc;
import dev.nnc.compiler.api.SourceFile;
import dev.nnc.compiler.ast.Ast;
import dev.nnc.compiler.ast.Parser;
import dev.nnc.compiler.diag.Diagnostic;
import dev.nnc.compiler.diag.Diagnostics;
import dev.nnc.compiler.diag.ErrorCode;
import dev.nnc.compiler.ir.ModelIr;
import dev.nnc.compiler.lower.Lowering;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.DoubleStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import dev.nnc.compiler.emit.JavaText;
import dev.nnc.compiler.testing.GeneratedCodeAudit;

/**
 * Feeds the front end broken programs (random token soup, mutations of the sample programs, and
 * random but well-formed programs) and checks that every one ends either in success or in
 * positioned error diagnostics: never an exception, never an internal compiler error, never a
 * silently dropped output. 12,000 programs a run (a few seconds), 500 + about 500 of them through
 * {@link Nnc#compile} to Java; seeds change every run. Reproducers of the bugs it found are in
 * {@link FrontEndRegressionTest}.
 */
class FrontEndFuzzTest {

    // ---- the contract every program must meet ----

    /** Runs {@link Nnc#check} (and, when {@code compile}, {@link Nnc#compile}) and checks the outcome. */
    static void assertWellBehaved(String text, boolean compile) {
        SourceFile src = new SourceFile("fuzz.nn", text);
        List<Diagnostic> diags;
        try {
            diags = Nnc.check(src);
        } catch (Throwable t) {
            throw new AssertionError("Nnc.check threw on:\n" + text, t);
        }
        assertDiagnosticsWellFormed(src, diags);
        if (diags.isEmpty()) assertLoweredCompletely(src);
        if (compile) {
            CompileResult r;
            try {
                r = Nnc.compile(src, CompileOptions.defaults());
            } catch (Throwable t) {
                throw new AssertionError("Nnc.compile threw on:\n" + text, t);
            }
            assertDiagnosticsWellFormed(src, r.diagnostics());
            boolean checkOk = diags.stream().noneMatch(Diagnostic::isError);
            assertEquals(checkOk, r.ok(),
                    () -> "check and compile disagree on:\n" + text + "\n" + r.formatDiagnostics());
            if (r.ok()) {
                assertFalse(r.sources().isEmpty(), () -> "no class generated for:\n" + text);
                for (GeneratedSource g : r.sources()) {
                    assertFalse(NON_FINITE.matcher(g.code()).find(),
                            () -> "non-finite literal generated for:\n" + text);
                    assertTrue(JavaText.isSafeSource(g.code()),
                            () -> "unsafe characters or a unicode escape generated for:\n" + text);
                }
                sampleForJavac(text);
            }
        }
    }

    // ---- accepted programs go to javac: a bounded sample per run, in one javac call at the end ----

    /** Accepted programs compiled with javac per run (each in its own package, all in one javac call). */
    static final int JAVAC_SAMPLE = 60;
    private static final java.util.Map<String, String> SAMPLED = new java.util.LinkedHashMap<>();
    private static final List<GeneratedSource> SAMPLED_SOURCES = new ArrayList<>();

    /** Keeps the program's classes (compiled again into a package of their own) while the sample has room. */
    private static synchronized void sampleForJavac(String text) {
        // half of the sample for programs with a hostile comment, half for the others
        boolean hostile = HOSTILE_COMMENTS.stream().anyMatch(text::contains);
        long taken = SAMPLED.values().stream().filter(t -> HOSTILE_COMMENTS.stream().anyMatch(t::contains) == hostile)
                .count();
        if (taken >= JAVAC_SAMPLE / 2 || SAMPLED.containsValue(text)) return;
        String pkg = "fuzz.p" + SAMPLED.size();
        CompileResult r = Nnc.compile(new SourceFile("fuzz.nn", text), CompileOptions.defaults().withPackage(pkg));
        SAMPLED.put(pkg, text);
        SAMPLED_SOURCES.addAll(r.sources());
    }

    /**
     * Every program {@code nnc check} accepted (in the sample) compiles with javac -Xlint:all
     * -Werror, and its bytecode passes {@link GeneratedCodeAudit}; a failure names the program.
     */
    @AfterContainer
    static void sampledProgramsCompileWithJavac() {
        if (SAMPLED_SOURCES.isEmpty()) return;
        try {
            GeneratedCodeAudit.compileAndAudit(SAMPLED_SOURCES);
        } catch (AssertionError | RuntimeException e) {
            StringBuilder sb = new StringBuilder(e.getMessage() == null ? e.toString() : e.getMessage());
            SAMPLED.forEach((pkg, text) -> {
                if (sb.indexOf(pkg.replace('.', '/') + "/") >= 0 || sb.indexOf(pkg + ".") >= 0) {
                    sb.append("\n--- program of ").append(pkg).append(":\n").append(text);
                }
            });
            throw new AssertionError(sb.toString(), e);
        } finally {
            long hostile = SAMPLED.values().stream().filter(t -> HOSTILE_COMMENTS.stream().anyMatch(t::contains)).count();
            System.out.println("FrontEndFuzzTest: " + SAMPLED.size() + " accepted programs compiled with javac, "
                    + hostile + " of them with a hostile comment");
        }
    }

    private static final Pattern NON_FINITE = Pattern.compile("(?<![\\w.])(NaN|Infinity)");

    /**
     * A program without diagnostics must have been lowered whole: an error value that was never
     * reported would silently drop an output or the loss, or leave a non-finite number behind.
     */
    static void assertLoweredCompletely(SourceFile src) {
        Diagnostics diags = new Diagnostics(src);
        Ast.Program program = Parser.parse(diags);
        List<ModelIr> models = Lowering.lower(program, diags);
        List<Ast.Model> defs = program.definitions().stream()
                .filter(d -> d instanceof Ast.Model).map(d -> (Ast.Model) d).toList();
        assertEquals(defs.size(), models.size(), () -> "a model went missing:\n" + src.text());
        for (int i = 0; i < defs.size(); i++) {
            Ast.Model def = defs.get(i);
            ModelIr ir = models.get(i);
            long outputs = def.body().stream().filter(st -> st instanceof Ast.Output)
                    .mapToLong(st -> ((Ast.Output) st).values().size()).sum();
            assertEquals(outputs, ir.outputs().size(), () -> "an output went missing:\n" + src.text());
            boolean loss = def.body().stream().anyMatch(st -> st instanceof Ast.Loss);
            assertEquals(loss, ir.trainingLoss() != null, () -> "the loss went missing:\n" + src.text());
            for (ModelIr.Param p : ir.params()) {
                assertTrue(DoubleStream.of(p.init().args()).allMatch(Double::isFinite), () -> "init of " + p.name());
            }
            if (ir.optimizer() != null) {
                assertTrue(Double.isFinite(ir.optimizer().l2())
                        && ir.optimizer().args().values().stream().allMatch(Double::isFinite), "optimizer arguments");
            }
        }
    }

    static void assertDiagnosticsWellFormed(SourceFile src, List<Diagnostic> diags) {
        String text = src.text();
        int lines = (int) text.chars().filter(c -> c == '\n').count() + 1;
        for (Diagnostic d : diags) {
            String f = d.format();
            String where = "\n--- diagnostic:\n" + f + "\n--- program:\n" + text;
            if (d.code() == ErrorCode.UNSUPPORTED && d.message().contains("internal")) fail("internal error" + where);
            assertTrue(d.line() >= 1 && d.line() <= lines + 1, () -> "line out of range" + where);
            assertTrue(d.column() >= 1, () -> "column out of range" + where);
            assertTrue(f.startsWith(src.name() + ":" + d.line() + ":" + d.column() + ": error: "),
                    () -> "bad prefix" + where);
            assertTrue(f.contains("[" + d.code().id() + "]"), () -> "no code" + where);
            String[] parts = f.split("\n", -1);
            assertEquals(3, parts.length, () -> "expected message, source line, caret" + where);
            assertEquals(src.line(d.line()), parts[1], () -> "wrong source line" + where);
            assertEquals(d.column(), parts[2].length(), () -> "caret in wrong column" + where);
            assertTrue(parts[2].endsWith("^") && parts[2].substring(0, parts[2].length() - 1).isBlank(),
                    () -> "bad caret line" + where);
        }
    }

    // ---- 1. random token soup ----

    private static final List<String> TOKENS = List.of(
            "model", "block", "input", "target", "param", "output", "loss", "optimizer", "regularize", "return",
            "as", "true", "false", "M", "Hidden", "x", "y", "h", "w", "b", "N", "f32", "i32", "f64",
            "relu", "dense", "sigmoid", "tanh", "softmax", "log_softmax", "dropout", "flatten", "reshape", "mean",
            "sum", "exp", "log", "sqrt", "leaky_relu", "cross_entropy", "mse", "binary_cross_entropy",
            "sgd", "adam", "l2", "zeros", "ones", "constant", "uniform", "normal", "he_normal", "xavier_uniform",
            "units", "init", "bias", "axis", "shape", "lr", "momentum", "rate",
            "0", "1", "2", "10", "784", "0.5", ".5", "1e-3", "-1", "1e400", "99999999999", "2147483648",
            "{", "}", "(", ")", "[", "]", ",", ":", "=", "|>", "@", "+", "-", "*", "/", "|", ">",
            "//", "/*", "*/", " ", " ", " ", "\n", "\n");
    /** Characters outside the language, rarer so that most soups get past the lexer. */
    private static final List<String> ODD = List.of("$", "#", "\t", "\r", "\u00e9", "\u0000", "\"", "'", "!");

    @Provide
    Arbitrary<String> soup() {
        return Arbitraries.frequencyOf(Tuple.of(60, Arbitraries.of(TOKENS)), Tuple.of(1, Arbitraries.of(ODD)))
                .list().ofMaxSize(80).map(ts -> String.join(" ", ts));
    }

    @Property(tries = 3000)
    void tokenSoupNeverCrashes(@ForAll("soup") String program) {
        assertWellBehaved(program, false);
    }

    /** Soup inside a model body, so that more of it gets past the parser. */
    @Property(tries = 1500)
    void tokenSoupInsideAModelNeverCrashes(@ForAll("soup") String body) {
        assertWellBehaved("model M {\n    input x: f32[N, 4]\n" + body + "\n    output x\n}\n", false);
    }

    // ---- 2. mutations of the sample programs ----

    static final String LOGISTIC = """
            model Logistic {
                input  x: f32[N, 784]
                target y: f32[N, 1]
                param  w: f32[784, 1] = xavier_uniform
                param  b: f32[1] = zeros
                p = sigmoid(x @ w + b)
                output p
                loss binary_cross_entropy(p, y)
                optimizer sgd(lr = 0.1)
            }
            """;

    static final String FASHION = """
            model FashionMlp {
                input  x: f32[N, 784]
                target y: i32[N]
                h = x |> dense(256, init = he_normal) |> relu |> dropout(0.2)
                logits = dense(h, 10) as classifier
                output logits
                loss cross_entropy(logits, y)
                optimizer adam(lr = 1e-3)
                regularize l2(5e-4)
            }
            """;

    static final String DEEP = """
            block Hidden(x, width) {
                return x |> dense(width) |> tanh
            }
            model DeepMlp {
                input  x: f32[N, 784]
                target y: i32[N]
                h = x |> Hidden(128) |> Hidden(64) |> Hidden(32)
                logits = dense(h, 10)
                output softmax(logits)
                loss cross_entropy(logits, y)
                optimizer sgd(lr = 0.1, momentum = 0.9)
            }
            """;

    static final List<String> SAMPLES = List.of(LOGISTIC, FASHION, DEEP);

    enum Kind { DELETE, DUPLICATE, SWAP, INSERT_CHAR, TRUNCATE, NUMBER, RENAME, REPLACE, COMMENT }

    /** One edit; {@code a} and {@code b} pick positions or replacements modulo what is there. */
    record Mutation(Kind kind, int a, int b) {
    }

    record Mutant(int sample, List<Mutation> mutations) {
        String apply() {
            String text = SAMPLES.get(sample);
            for (Mutation m : mutations) text = FrontEndFuzzTest.apply(text, m);
            return text;
        }
    }

    private static final Pattern TOKEN = Pattern.compile(
            "\\s+|//[^\\n]*|[A-Za-z_][A-Za-z_0-9]*|[0-9]+(\\.[0-9]*)?([eE][+-]?[0-9]+)?|\\.[0-9]+|\\|>|.");
    private static final List<String> NUMBERS = List.of("0", "-1", "-0.5", "99999999999", "2147483647", "2147483648",
            "1e400", "1e-400", "1e9", "0.0", "1.5", "65536", "3");
    private static final List<String> NAMES = List.of("x", "y", "h", "p", "w", "b", "logits", "N", "Hidden", "dense",
            "relu", "rleu", "sgd", "adam", "i32", "f32", "zeros", "width", "model", "block", "as", "output", "foo",
            // Java words, type names and the generator's own names: all legal .nn names
            "class", "public", "new", "var", "record", "int", "this", "null", "_", "String", "Math", "System", "Gemm",
            "n", "params", "arena", "steps", "v1", "i0", "acc0", "hOff", "xOff", "matmul4", "load");
    /** Comments written to break a code generator that echoes source lines (see HostileProgramsTest). */
    private static final List<String> HOSTILE_COMMENTS = List.of(" // \\u000a System.exit(1); //", " // */ /*",
            " // \u2028 System.exit(2);", " // \u0085\u2029\f\u000b", " /* \\u002a/ */", " // " + "long ".repeat(400),
            " // \\", " // {@code } <b> &amp; @param", " // \u202e caf\u00e9");
    private static final String CHARS = "$#~`\"'\\{}()[],:=@+-*/|>.0123456789eE_aZ \n\t\r\u00e9\u0000";

    static List<String> tokens(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = TOKEN.matcher(text);
        while (m.find()) out.add(m.group());
        return out;
    }

    static String apply(String text, Mutation m) {
        if (m.kind() == Kind.INSERT_CHAR) {
            int at = m.a() % (text.length() + 1);
            return text.substring(0, at) + CHARS.charAt(m.b() % CHARS.length()) + text.substring(at);
        }
        if (m.kind() == Kind.TRUNCATE) return text.substring(0, m.a() % (text.length() + 1));
        if (m.kind() == Kind.COMMENT) { // at the end of a line
            String[] lines = text.split("\n", -1);
            int at = m.a() % lines.length;
            lines[at] = lines[at] + HOSTILE_COMMENTS.get(m.b() % HOSTILE_COMMENTS.size());
            return String.join("\n", lines);
        }
        List<String> ts = tokens(text);
        List<Integer> real = new ArrayList<>();
        for (int i = 0; i < ts.size(); i++) {
            if (!ts.get(i).isBlank()) real.add(i);
        }
        if (real.isEmpty()) return text;
        int i = real.get(m.a() % real.size());
        int j = real.get(m.b() % real.size());
        switch (m.kind()) {
            case DELETE -> ts.remove(i);
            case DUPLICATE -> ts.add(i, ts.get(i) + " ");
            case SWAP -> {
                String t = ts.get(i);
                ts.set(i, ts.get(j));
                ts.set(j, t);
            }
            case REPLACE -> ts.set(i, ts.get(j));
            case NUMBER -> {
                List<Integer> nums = real.stream().filter(k -> Character.isDigit(ts.get(k).charAt(0))
                        || ts.get(k).charAt(0) == '.' && ts.get(k).length() > 1).toList();
                if (!nums.isEmpty()) ts.set(nums.get(m.a() % nums.size()), NUMBERS.get(m.b() % NUMBERS.size()));
            }
            case RENAME -> {
                List<Integer> ids = real.stream().filter(k -> Character.isLetter(ts.get(k).charAt(0))
                        || ts.get(k).charAt(0) == '_').toList();
                if (ids.isEmpty()) break;
                String from = ts.get(ids.get(m.a() % ids.size()));
                String to = NAMES.get(m.b() % NAMES.size());
                boolean all = m.b() % 2 == 0; // rename every occurrence, or only one
                for (int k : ids) {
                    if (ts.get(k).equals(from)) {
                        ts.set(k, to);
                        if (!all) break;
                    }
                }
            }
            default -> throw new IllegalStateException();
        }
        return String.join("", ts);
    }

    @Provide
    Arbitrary<Mutant> mutants() {
        // the edits that keep the syntax are more likely, so that more mutants reach the checks after parsing
        Arbitrary<Kind> kind = Arbitraries.frequency(Tuple.of(2, Kind.DELETE), Tuple.of(1, Kind.DUPLICATE),
                Tuple.of(1, Kind.SWAP), Tuple.of(2, Kind.INSERT_CHAR), Tuple.of(1, Kind.TRUNCATE),
                Tuple.of(6, Kind.NUMBER), Tuple.of(6, Kind.RENAME), Tuple.of(1, Kind.REPLACE), Tuple.of(3, Kind.COMMENT));
        Arbitrary<Mutation> mutation = Combinators.combine(kind,
                Arbitraries.integers().between(0, 100_000), Arbitraries.integers().between(0, 100_000))
                .as(Mutation::new);
        return Combinators.combine(Arbitraries.integers().between(0, SAMPLES.size() - 1),
                mutation.list().ofMinSize(1).ofMaxSize(3)).as(Mutant::new);
    }

    @Property(tries = 4000)
    void mutatedSamplesNeverCrash(@ForAll("mutants") Mutant mutant) {
        assertWellBehaved(mutant.apply(), false);
    }

    /** Fewer tries, through the whole pipeline to generated Java. */
    @Property(tries = 500)
    void mutatedSamplesCompileOrReportErrors(@ForAll("mutants") Mutant mutant) {
        assertWellBehaved(mutant.apply(), true);
    }

    // ---- 3. random well-formed programs: exercise name resolution and shape checks ----

    @Property(tries = 1000)
    void randomProgramsNeverCrash(@ForAll long seed) {
        assertWellBehaved(new ProgramGen(new Random(seed)).program(), seed % 4 == 0);
    }

    @Property(tries = 2000)
    void layeredProgramsNeverCrash(@ForAll long seed) {
        assertWellBehaved(new LayerGen(new Random(seed)).program(), seed % 4 == 0);
    }

    /**
     * Mostly sensible networks: a pipe of layers with plausible arguments, sometimes off by a
     * little (a zero, a huge or negative size, a wrong axis), so that most programs reach
     * autodiff and the rest fail in shape or argument checks.
     */
    static final class LayerGen {
        private final Random r;

        LayerGen(Random r) {
            this.r = r;
        }

        private String size() {
            return switch (r.nextInt(40)) {
                case 0 -> "0";
                case 1 -> "-3";
                case 2 -> "99999999999";
                case 3 -> "2.5";
                case 4 -> "1e400";
                default -> Integer.toString(1 + r.nextInt(6));
            };
        }

        private String small() {
            return switch (r.nextInt(30)) {
                case 0 -> "0";
                case 1 -> "-0.5";
                case 2 -> "1";
                case 3 -> "1e400";
                default -> "0." + (1 + r.nextInt(9));
            };
        }

        private String axis() {
            return switch (r.nextInt(8)) {
                case 0 -> "[0, 1]";
                case 1 -> "-1";
                case 2 -> "[1]";
                case 3 -> "[]";
                case 4 -> "5";
                default -> Integer.toString(r.nextInt(3));
            };
        }

        private String init() {
            return switch (r.nextInt(7)) {
                case 0 -> "he_normal";
                case 1 -> "normal(" + small() + ")";
                case 2 -> "uniform(-" + small() + ", " + small() + ")";
                case 3 -> "constant(" + small() + ")";
                case 4 -> "zeros";
                case 5 -> "xavier_normal";
                default -> "ones";
            };
        }

        private String layer(boolean blocks) {
            return switch (r.nextInt(blocks ? 18 : 17)) {
                case 0, 1, 2 -> "dense(" + size() + ")";
                case 3 -> "dense(" + size() + ", init = " + init() + ", bias = " + r.nextBoolean() + ")";
                case 4 -> "dense(units = " + size() + ", bias_init = " + init() + ")";
                case 5, 6 -> "relu";
                case 7 -> List.of("sigmoid", "tanh", "exp", "sqrt", "log").get(r.nextInt(5));
                case 8 -> "leaky_relu(alpha = " + small() + ")";
                case 9 -> "dropout(" + small() + ")";
                case 10 -> "flatten";
                case 11 -> "reshape([-1, " + size() + "])";
                case 12 -> r.nextBoolean() ? "softmax" : "log_softmax(axis = " + axis() + ")";
                case 13 -> "sum(axis = " + axis() + ")";
                case 14 -> "mean(axis = " + axis() + ")";
                case 15 -> "reshape(shape = [" + size() + ", " + size() + "])";
                case 16 -> "dense(" + size() + ") as d" + r.nextInt(3);
                default -> "Blk(" + size() + ")";
            };
        }

        String program() {
            StringBuilder sb = new StringBuilder();
            boolean blocks = r.nextBoolean();
            if (blocks) {
                sb.append("block Blk(x, width) {\n    h = x |> dense(width)");
                for (int i = r.nextInt(2); i > 0; i--) sb.append(" |> ").append(layer(false));
                sb.append("\n    return h").append(r.nextInt(4) == 0 ? " + x" : "").append("\n}\n");
            }
            int classes = 1 + r.nextInt(5);
            sb.append("model M {\n    input x: f32[N");
            for (int i = r.nextInt(2) == 0 ? 0 : r.nextInt(3); i >= 0; i--) sb.append(", ").append(1 + r.nextInt(5));
            sb.append("]\n");
            int targetKind = r.nextInt(3);
            sb.append(targetKind == 0 ? "    target y: i32[N]\n" : "    target y: f32[N, " + classes + "]\n");
            int logitsKind = r.nextInt(6);
            if (logitsKind < 2 ? r.nextInt(8) > 0 : r.nextInt(4) == 0) {
                sb.append("    param w: f32[").append(size()).append(", ").append(classes).append("] = ")
                        .append(init()).append('\n');
            }
            sb.append("    h = x");
            for (int i = r.nextInt(5); i > 0; i--) sb.append(" |> ").append(layer(blocks));
            sb.append("\n    logits = ");
            sb.append(switch (logitsKind) {
                case 0 -> "h @ w";
                case 1 -> "(h |> flatten) @ w + 1";
                case 2 -> "dense(h, " + classes + ") * 2 - h";
                case 3 -> "-dense(h |> flatten, " + classes + ") / " + small();
                default -> "h |> flatten |> dense(" + classes + ") as out";
            }).append('\n');
            sb.append("    output ").append(r.nextBoolean() ? "logits" : "softmax(logits), h").append('\n');
            if (r.nextInt(6) > 0) {
                sb.append("    loss ").append(switch (r.nextInt(5)) {
                    case 0 -> "mse(logits, y)";
                    case 1 -> "binary_cross_entropy(sigmoid(logits), y)";
                    case 2 -> "mean(logits)";
                    case 3 -> "sum(h)";
                    default -> "cross_entropy(logits, y)";
                }).append('\n');
            }
            if (r.nextInt(4) > 0) {
                sb.append("    optimizer ").append(r.nextBoolean() ? "sgd(lr = " + small() + ", momentum = " + small()
                        + ", nesterov = " + r.nextBoolean() + ")" : "adam(beta1 = " + small() + ")").append('\n');
            }
            if (r.nextInt(4) == 0) sb.append("    regularize l2(").append(small()).append(")\n");
            return sb.append("}\n").toString();
        }
    }

    /** Grammatical programs built from the built-ins with random (often wrong) arguments. */
    static final class ProgramGen {
        private static final String[] OPS = {"dense", "relu", "sigmoid", "tanh", "exp", "log", "sqrt", "leaky_relu",
            "softmax", "log_softmax", "sum", "mean", "reshape", "flatten", "dropout", "cross_entropy", "mse",
            "binary_cross_entropy", "zeros", "normal", "uniform", "constant", "he_normal", "Blk", "sgd", "nope"};
        private static final String[] ARG_NAMES = {"x", "units", "init", "bias", "bias_init", "rate", "axis", "alpha",
            "shape", "logits", "target", "prediction", "std", "lo", "hi", "value", "lr", "k"};
        private final Random r;
        private final List<String> names = new ArrayList<>();

        ProgramGen(Random r) {
            this.r = r;
        }

        String program() {
            StringBuilder sb = new StringBuilder();
            if (r.nextBoolean()) {
                sb.append("block Blk(x").append(r.nextBoolean() ? ", k" : "").append(") {\n");
                names.add("x");
                names.add("k");
                sb.append("    t = ").append(expr(2)).append('\n');
                names.add("t");
                sb.append("    return ").append(expr(2)).append("\n}\n");
                names.clear();
            }
            sb.append("model M {\n");
            sb.append("    input x: ").append(type(true)).append('\n');
            names.add("x");
            if (r.nextInt(4) > 0) {
                sb.append("    target y: ").append(r.nextBoolean() ? "i32[N]" : type(true)).append('\n');
                names.add("y");
            }
            if (r.nextInt(3) == 0) {
                sb.append("    param w: ").append(type(false))
                        .append(r.nextBoolean() ? " = " + expr(1) : "").append('\n');
                names.add("w");
            }
            int n = r.nextInt(5);
            for (int i = 0; i < n; i++) {
                String name = "v" + i;
                sb.append("    ").append(name).append(" = ").append(expr(3)).append('\n');
                names.add(name);
            }
            if (r.nextInt(6) > 0) sb.append("    output ").append(expr(2)).append('\n');
            if (r.nextBoolean()) sb.append("    loss ").append(expr(2)).append('\n');
            if (r.nextBoolean()) {
                sb.append("    optimizer ").append(r.nextBoolean() ? "sgd" : "adam").append(args(1)).append('\n');
            }
            if (r.nextInt(4) == 0) sb.append("    regularize l2(").append(number()).append(")\n");
            return sb.append("}\n").toString();
        }

        private String type(boolean batched) {
            String dtype = r.nextInt(8) == 0 ? "i32" : "f32";
            StringBuilder sb = new StringBuilder(dtype).append('[');
            int rank = 1 + r.nextInt(4);
            for (int i = 0; i < rank; i++) {
                if (i > 0) sb.append(", ");
                sb.append(i == 0 && batched ? "N" : r.nextInt(10) == 0 ? "0" : Integer.toString(1 + r.nextInt(6)));
            }
            return sb.append(']').toString();
        }

        private String number() {
            return switch (r.nextInt(8)) {
                case 0 -> "0";
                case 1 -> "-1";
                case 2 -> "0.5";
                case 3 -> "99999999999";
                case 4 -> "1e400";
                default -> Integer.toString(1 + r.nextInt(8));
            };
        }

        private String args(int depth) {
            StringBuilder sb = new StringBuilder("(");
            int n = r.nextInt(4);
            for (int i = 0; i < n; i++) {
                if (i > 0) sb.append(", ");
                if (r.nextInt(3) == 0) sb.append(ARG_NAMES[r.nextInt(ARG_NAMES.length)]).append(" = ");
                sb.append(expr(depth));
            }
            return sb.append(')').toString();
        }

        private String expr(int depth) {
            int choice = depth <= 0 ? r.nextInt(3) : r.nextInt(10);
            return switch (choice) {
                case 0 -> names.isEmpty() || r.nextInt(5) == 0 ? "undefined_" + r.nextInt(3)
                        : names.get(r.nextInt(names.size()));
                case 1 -> number();
                case 2 -> r.nextBoolean() ? "true" : "[" + number() + ", " + number() + "]";
                case 3, 4, 5 -> OPS[r.nextInt(OPS.length)] + args(depth - 1) + (r.nextInt(6) == 0 ? " as a" : "");
                case 6 -> expr(depth - 1) + " |> " + OPS[r.nextInt(OPS.length)]
                        + (r.nextBoolean() ? args(depth - 1) : "");
                case 7 -> expr(depth - 1) + " " + "+-*/@".charAt(r.nextInt(5)) + " " + expr(depth - 1);
                case 8 -> "-" + expr(depth - 1);
                default -> "(" + expr(depth - 1) + ")";
            };
        }
    }
}
