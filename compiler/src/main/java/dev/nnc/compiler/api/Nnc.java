package dev.nnc.compiler.api;

import dev.nnc.compiler.ast.Ast;
import dev.nnc.compiler.ast.AstPrinter;
import dev.nnc.compiler.ast.Parser;
import dev.nnc.compiler.autodiff.Autodiff;
import dev.nnc.compiler.emit.jvm.JavaCodegen;
import dev.nnc.compiler.report.PlanReport;
import dev.nnc.compiler.diag.Diagnostic;
import dev.nnc.compiler.diag.Diagnostics;
import dev.nnc.compiler.diag.ErrorCode;
import dev.nnc.compiler.emit.JavaNames;
import dev.nnc.compiler.kernel.ModelPlan;
import dev.nnc.compiler.pipeline.Pipeline;
import dev.nnc.compiler.ir.IrPrinter;
import dev.nnc.compiler.ir.ModelIr;
import dev.nnc.compiler.lower.Lowering;
import dev.nnc.compiler.passes.Simplify;
import dev.nnc.compiler.ast.Pos;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** The compiler's front door: everything the CLI, the Maven plugin and tests call. */
public final class Nnc {
    private static final String VERSION = "0.1.0";

    private Nnc() {
    }

    public static String version() {
        return VERSION;
    }

    /** Parses, resolves and shape-checks; returns every diagnostic found (empty when the program is fine). */
    public static List<Diagnostic> check(SourceFile source) {
        Diagnostics diags = new Diagnostics(source);
        front(source, diags, CompileOptions.defaults(), Pipeline.Listener.NONE);
        return diags.all();
    }

    /** The plan of a model: the schedule passes of the pipeline, each reported to {@code listener}. */
    public static ModelPlan planOf(ModelIr m, CompileOptions options, Pipeline.Listener listener) {
        boolean training = m.trainable() && options.mode() == CompileOptions.Mode.TRAIN;
        return new ModelPlan(m, new ModelPlan.Options(options.fuse(), options.plan(), training), listener);
    }

    /**
     * {@code nnc inspect --stage passes}: every pass in order with the reason it sits there, then
     * what each did to each model and entry point (changed or not).
     */
    public static InspectResult passes(SourceFile source, CompileOptions options) {
        StringBuilder sb = new StringBuilder("passes, in order:\n");
        for (Pipeline.Pass p : Pipeline.PASSES) {
            sb.append(String.format(java.util.Locale.ROOT, "  %-12s %-8s %s%n", p.name(), p.level().name().toLowerCase(),
                    p.reason()));
        }
        sb.append("run:\n");
        Pipeline.Listener log = (pass, where, stage, changed) -> sb.append(String.format(java.util.Locale.ROOT,
                "  %-12s %-32s %s%n", pass.name(), where, changed ? "changed" : "unchanged"));
        Diagnostics diags = new Diagnostics(source);
        List<ModelIr> models = front(source, diags, options, log);
        if (diags.hasErrors()) return new InspectResult("", diags.all());
        guarded(diags, () -> models.stream().map(m -> planOf(m, options, log)).toList());
        return new InspectResult(diags.hasErrors() ? "" : sb.toString(), diags.all());
    }

    /** Compiles every model of the file to one Java class each. */
    public static CompileResult compile(SourceFile source, CompileOptions options) {
        return compile(source, options, Pipeline.Listener.NONE);
    }

    /** Compiles, telling {@code listener} after every pass of the pipeline (tests verify every level there). */
    public static CompileResult compile(SourceFile source, CompileOptions options, Pipeline.Listener listener) {
        Diagnostics diags = new Diagnostics(source);
        List<ModelIr> models = front(source, diags, options, listener);
        List<GeneratedSource> out = new ArrayList<>();
        if (!diags.hasErrors()) {
            List<String> classes = classNames(models);
            for (int i = 0; i < models.size(); i++) {
                ModelIr m = models.get(i);
                String cls = classes.get(i);
                GeneratedSource g = guarded(diags, () -> JavaCodegen.generate(planOf(m, options, listener), source,
                        options, VERSION, cls));
                if (g != null) out.add(g);
            }
        }
        return new CompileResult(out, diags.all());
    }

    /**
     * The Java class of each model: its name as written, or with {@code Model} appended where that
     * is not a usable class name ({@link JavaNames#className}); a number is appended when two
     * models of one file would get the same class.
     */
    public static List<String> classNames(List<ModelIr> models) {
        java.util.Set<String> used = new java.util.HashSet<>();
        List<String> out = new ArrayList<>();
        for (ModelIr m : models) {
            String base = JavaNames.className(m.name());
            String c = base;
            for (int i = 2; !used.add(c); i++) c = base + i;
            out.add(c);
        }
        return out;
    }

    /** Output formats of {@code inspect}: text for people, JSON for tools, Graphviz dot for the graph. */
    public enum Format { TEXT, JSON, DOT }

    /** A readable dump of one stage. */
    public static InspectResult inspect(SourceFile source, Stage stage, CompileOptions options) {
        return inspect(source, stage, options, Format.TEXT, 128);
    }

    /**
     * A dump of one stage in a format; {@code batch} sizes the figures of the fused and memory
     * stages. JSON is available for the fused and memory stages, dot for the fused stage.
     */
    public static InspectResult inspect(SourceFile source, Stage stage, CompileOptions options, Format format,
            int batch) {
        if (stage == Stage.PASSES) {
            if (format != Format.TEXT) throw new IllegalArgumentException("--stage passes is text only");
            return passes(source, options);
        }
        Diagnostics diags = new Diagnostics(source);
        if (stage == Stage.AST) {
            Ast.Program p = guarded(diags, () -> Parser.parse(diags));
            return new InspectResult(p == null ? "" : AstPrinter.print(p), diags.all());
        }
        List<ModelIr> models = front(source, diags, options, Pipeline.Listener.NONE);
        if (diags.hasErrors()) return new InspectResult("", diags.all());
        if (format != Format.TEXT && stage != Stage.FUSED && stage != Stage.MEMORY) {
            throw new IllegalArgumentException("--format " + format.name().toLowerCase()
                    + " is available for the fused and memory stages only");
        }
        if (format == Format.DOT && stage != Stage.FUSED) {
            throw new IllegalArgumentException("--format dot is available for the fused stage only");
        }
        String text = guarded(diags, () -> switch (stage) {
            case FUSED, MEMORY -> models.stream().map(m -> {
                PlanReport r = new PlanReport(m, source, options, VERSION, batch);
                return switch (format) {
                    case JSON -> stage == Stage.FUSED ? r.fusedJson() : r.memoryJson();
                    case DOT -> r.dot();
                    default -> stage == Stage.FUSED ? r.fusedText() : r.memoryText();
                };
            }).collect(Collectors.joining("\n"));
            case IR -> models.stream().map(m -> IrPrinter.print(m, false)).collect(Collectors.joining("\n"));
            case GRAD -> models.stream().map(m -> IrPrinter.print(m, true)).collect(Collectors.joining("\n"));
            default -> {
                List<String> classes = classNames(models);
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < models.size(); i++) {
                    if (i > 0) sb.append('\n');
                    sb.append(JavaCodegen.generate(JavaCodegen.planOf(models.get(i), options), source, options, VERSION,
                            classes.get(i)).code());
                }
                yield sb.toString();
            }
        });
        if (text == null) return new InspectResult("", diags.all());
        return new InspectResult(text, diags.all());
    }

    /**
     * The lowered (and, in training mode, differentiated) models of a file, for tools that report
     * on them; throws IllegalArgumentException with the diagnostics when the program has errors.
     */
    public static List<ModelIr> lower(SourceFile source, CompileOptions options) {
        Diagnostics diags = new Diagnostics(source);
        List<ModelIr> models = front(source, diags, options, Pipeline.Listener.NONE);
        if (diags.hasErrors()) {
            throw new IllegalArgumentException(diags.all().stream().map(Diagnostic::format)
                    .collect(Collectors.joining("\n")));
        }
        return models;
    }

    /** Parse, lower, differentiate (in training mode). Any internal failure becomes a diagnostic. */
    private static List<ModelIr> front(SourceFile source, Diagnostics diags, CompileOptions options,
            Pipeline.Listener listener) {
        List<ModelIr> models = guarded(diags, () -> {
            Ast.Program p = Parser.parse(diags);
            if (p == null) return List.of();
            List<ModelIr> ms = Lowering.lower(p, diags);
            if (diags.hasErrors()) return ms;
            for (ModelIr m : ms) listener.after(Pipeline.LOWER, m.name(), m, true);
            if (options.simplify()) {
                ms = ms.stream().map(m -> {
                    ModelIr s = Simplify.run(m);
                    listener.after(Pipeline.SIMPLIFY, m.name(), s, s != m);
                    return s;
                }).toList();
            }
            if (options.mode() == CompileOptions.Mode.TRAIN) {
                for (ModelIr m : ms) {
                    Autodiff.differentiate(m, diags);
                    listener.after(Pipeline.AUTODIFF, m.name(), m, !m.grads().isEmpty());
                }
            }
            for (ModelIr m : ms) {
                checkActivationSize(m, diags);
                listener.after(Pipeline.CHECK_SIZES, m.name(), m, false);
            }
            return ms;
        });
        return models == null ? List.of() : models;
    }

    /**
     * The activations of one batch row (and the batch-independent temporaries) must fit one Java
     * array, whatever the memory plan makes of them: checked on their naive sum, so that a
     * program {@code check} accepts always compiles. Reported at the tensor that overflows it.
     */
    private static void checkActivationSize(ModelIr m, Diagnostics diags) {
        long perRow = 0;
        long fixed = 0;
        for (dev.nnc.compiler.ir.Node n : m.graph().nodes()) {
            if (n.op() == dev.nnc.compiler.ir.Op.PARAM) continue;
            long size = 1;
            for (int d : n.shape().dims()) {
                if (d == dev.nnc.compiler.ir.Shape.BATCH) continue;
                size = d <= 0 ? 0 : size > Long.MAX_VALUE / 2 / d ? Long.MAX_VALUE / 2 : size * d;
            }
            if (n.shape().batched()) perRow += size; else fixed += size;
            if (perRow > Integer.MAX_VALUE || fixed > Integer.MAX_VALUE) {
                Pos at = n.pos().line() > 0 ? n.pos() : new Pos(1, 1);
                diags.error(ErrorCode.TOO_LARGE, at, "the activations of model '" + m.name() + "'"
                        + (n.shape().batched() ? " per batch row" : "") + " (at this tensor)",
                        Math.max(perRow, fixed));
                return;
            }
        }
    }

    /** The system property ({@code nnc --debug} sets it) under which internal errors print their stack trace. */
    public static final String DEBUG_PROPERTY = "nnc.debug";

    private static <T> T guarded(Diagnostics diags, java.util.function.Supplier<T> f) {
        try {
            return f.get();
        } catch (RuntimeException | StackOverflowError e) {
            diags.error(ErrorCode.UNSUPPORTED, new Pos(1, 1), "internal compiler error (" + e
                    + "); please report it with this file");
            if (Boolean.getBoolean(DEBUG_PROPERTY)) e.printStackTrace(); // nnc --debug
            return null;
        }
    }
}
