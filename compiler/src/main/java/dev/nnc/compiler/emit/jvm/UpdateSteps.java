package dev.nnc.compiler.emit.jvm;

import dev.nnc.compiler.ir.ModelIr;
import dev.nnc.templates.Templates;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The optimizer update as separate operations over one parameter tensor ({@code jvm/adam.steps}):
 * what {@code --no-fuse} emits, one loop per operation and tensor, as an eager framework's
 * per-tensor update runs. The fused update ({@code adam.tmpl}) does the same arithmetic in the same
 * order in one loop over the flat buffer, so both give the same parameters; the report counts
 * kernels and bytes moved of both from these steps.
 *
 * <p>A step is {@code target = expression} over the arrays {@code p g s0 s1 gg t0..t9} (parameters,
 * gradients, optimizer state, the gradient the update uses, scratch), optionally guarded by
 * {@code l2:}, {@code nesterov:} or {@code !nesterov:}.
 */
public final class UpdateSteps {
    /**
     * One loop: {@code target[i] = expression} reading {@code reads}; {@code parts} is the
     * expression as text pieces and the names of the arrays between them (array i between text
     * i and text i + 1), so code generation writes each array's element without searching the text.
     */
    public record Step(String when, String target, String expression, List<String> reads, List<String> parts) {
        /** Whether the step runs for a tensor with ({@code l2}) or without an l2 strength. */
        public boolean runs(boolean l2, boolean nesterov) {
            return switch (when) {
                case "" -> true;
                case "l2" -> l2;
                case "nesterov" -> nesterov;
                case "!nesterov" -> !nesterov;
                default -> throw new IllegalStateException("unknown guard '" + when + "' in an update step");
            };
        }
    }

    /** Names of arrays in a step. */
    static final Pattern ARRAY = Pattern.compile("\\b(p|g|gg|s0|s1|t\\d)\\b");
    private static final Pattern LINE = Pattern.compile("(?:(!?\\w+):\\s*)?(\\w+)\\s*=\\s*(.+)");

    private final List<Step> steps;
    private final boolean nesterov;

    private UpdateSteps(List<Step> steps, boolean nesterov) {
        this.steps = steps;
        this.nesterov = nesterov;
    }

    /** The template name of a model's optimizer: adam, sgd_momentum or sgd. */
    public static String templateOf(ModelIr.Optimizer opt) {
        if (opt.kind().equals("adam")) return "adam";
        return opt.args().getOrDefault("momentum", 0.0) > 0 ? "sgd_momentum" : "sgd";
    }

    /** Optimizer state values per parameter: Adam's two moments, momentum's velocity, none for SGD. */
    public static int stateSlots(ModelIr.Optimizer opt) {
        if (opt == null) return 0;
        return switch (templateOf(opt)) {
            case "adam" -> 2;
            case "sgd_momentum" -> 1;
            default -> 0;
        };
    }

    /** The steps of the model's optimizer, with its hyper-parameters rendered into the expressions. */
    public static UpdateSteps of(Templates templates, ModelIr.Optimizer opt, Map<String, String> vars) {
        String text = templates.file(templateOf(opt) + ".steps", vars);
        List<Step> steps = new ArrayList<>();
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            Matcher m = LINE.matcher(line);
            if (!m.matches() || !ARRAY.matcher(m.group(2)).matches()) {
                throw new IllegalStateException("bad update step '" + line + "' in " + templateOf(opt) + ".steps");
            }
            Set<String> reads = new LinkedHashSet<>();
            List<String> parts = new ArrayList<>();
            Matcher a = ARRAY.matcher(m.group(3));
            int last = 0;
            while (a.find()) {
                reads.add(a.group(1));
                parts.add(m.group(3).substring(last, a.start()));
                parts.add(a.group(1));
                last = a.end();
            }
            parts.add(m.group(3).substring(last));
            steps.add(new Step(m.group(1) == null ? "" : m.group(1), m.group(2), m.group(3), List.copyOf(reads),
                    List.copyOf(parts)));
        }
        return new UpdateSteps(List.copyOf(steps), opt.args().getOrDefault("nesterov", 0.0) > 0);
    }

    public boolean nesterov() {
        return nesterov;
    }

    public List<Step> steps() {
        return steps;
    }

    /** The steps that run for one tensor. */
    public List<Step> forTensor(boolean l2) {
        return steps.stream().filter(s -> s.runs(l2, nesterov)).toList();
    }

    /** Scratch slots the steps use: t0..t9, then gg. */
    public int scratchSlots() {
        int max = -1;
        for (Step s : steps) {
            for (String a : arrays(s)) {
                if (a.startsWith("t")) max = Math.max(max, a.charAt(1) - '0');
            }
        }
        return max + 2;
    }

    /** The scratch slot of gg (when it is not g). */
    public int ggSlot() {
        return scratchSlots() - 1;
    }

    private static List<String> arrays(Step s) {
        List<String> all = new ArrayList<>(s.reads());
        all.add(s.target());
        return all;
    }

    /** Elements read and written by the steps over one tensor of {@code size} values. */
    public long elementsMoved(long size, boolean l2) {
        long e = 0;
        for (Step s : forTensor(l2)) e += (s.reads().size() + 1L) * size;
        return e;
    }
}
