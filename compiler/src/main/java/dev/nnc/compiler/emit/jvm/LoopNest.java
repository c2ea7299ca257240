package dev.nnc.compiler.emit.jvm;

import com.palantir.javapoet.CodeBlock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Emits the loop nest of an elementwise, broadcast or reduction kernel: one loop per dimension of
 * the iteration space, each operand indexed through its own strides (0 where it is broadcast or
 * reduced). Adjacent dimensions that are contiguous for every operand are merged, so a
 * same-shape elementwise op becomes one flat loop.
 */
final class LoopNest {
    private final List<String> extents = new ArrayList<>();
    private final List<int[]> strides = new ArrayList<>(); // per dim: one stride per operand
    private final List<Integer> dims = new ArrayList<>(); // the space's dimension each loop runs over
    private final List<Boolean> merged = new ArrayList<>(); // whether a loop covers several dimensions

    /**
     * @param extents extent of each dimension: "n" for the batch dimension, else a number
     * @param operandStrides for each operand, its stride per dimension
     */
    LoopNest(List<String> extents, List<int[]> operandStrides) {
        this(extents, operandStrides, true);
    }

    /** @param merge whether contiguous dimensions may become one loop (not when loops get ranges) */
    LoopNest(List<String> extents, List<int[]> operandStrides, boolean merge) {
        this(extents, operandStrides, merge ? 0 : Integer.MAX_VALUE);
    }

    /**
     * @param firstMerged the first dimension of the space whose loop may absorb the next contiguous
     *                    dimension: 0 to merge everywhere, 1 when dimension 0's loop runs over a range
     *                    (chunks of rows) but the others over whole extents
     */
    LoopNest(List<String> extents, List<int[]> operandStrides, int firstMerged) {
        int operands = operandStrides.size();
        for (int d = 0; d < extents.size(); d++) {
            int[] s = new int[operands];
            for (int o = 0; o < operands; o++) s[o] = operandStrides.get(o)[d];
            if (extents.get(d).equals("1")) continue;
            if (!this.extents.isEmpty() && this.dims.getLast() >= firstMerged
                    && mergeable(this.strides.getLast(), s, extents.get(d))) {
                int last = this.extents.size() - 1;
                this.extents.set(last, times(this.extents.get(last), extents.get(d)));
                this.strides.set(last, s);
                this.merged.set(last, true);
                continue;
            }
            this.extents.add(extents.get(d));
            this.strides.add(s);
            this.dims.add(d);
            this.merged.add(false);
        }
    }

    /** Outer dim with strides {@code outer} merges with inner dim when outer = inner · extent for all. */
    private static boolean mergeable(int[] outer, int[] inner, String innerExtent) {
        if (!innerExtent.matches("[0-9]+")) return false;
        int e = Integer.parseInt(innerExtent);
        for (int o = 0; o < outer.length; o++) {
            if (outer[o] != inner[o] * e) return false;
        }
        return true;
    }

    private static String times(String a, String b) {
        if (a.matches("[0-9]+") && b.matches("[0-9]+")) return Long.toString(Long.parseLong(a) * Long.parseLong(b));
        return a + " * " + b;
    }

    /** Index expression of operand {@code o}: {@code off + i0 * 256 + i1}. */
    String index(int o, String off) {
        StringBuilder sb = new StringBuilder(off);
        for (int d = 0; d < extents.size(); d++) {
            int s = strides.get(d)[o];
            if (s == 0) continue;
            sb.append(" + i").append(d);
            if (s != 1) sb.append(" * ").append(s);
        }
        return sb.toString();
    }

    /** Loops in the nest (after merging). */
    int depth() {
        return extents.size();
    }

    /** Operand {@code o}'s stride along the innermost loop. */
    int innermostStride(int o) {
        return strides.getLast()[o];
    }

    /** The innermost loop's extent. */
    String innermostExtent() {
        return extents.getLast();
    }

    /** Index of operand {@code o} at the start of the innermost loop: {@link #index} without its term. */
    String rowStart(int o, String off) {
        StringBuilder sb = new StringBuilder(off);
        for (int d = 0; d < extents.size() - 1; d++) {
            int s = strides.get(d)[o];
            if (s == 0) continue;
            sb.append(" + i").append(d);
            if (s != 1) sb.append(" * ").append(s);
        }
        return sb.toString();
    }

    /** The loops around {@code body}. */
    CodeBlock wrap(List<CodeBlock> body) {
        return wrap(body, null);
    }

    /** {@link #wrap(List, String[][])}, with {@code after} right after the innermost loop, inside the others. */
    CodeBlock wrap(List<CodeBlock> body, String[][] ranges, List<CodeBlock> after) {
        return wrap(body, ranges, after, null);
    }

    /**
     * {@link #wrap(List, String[][], List)} whose innermost loop starts where {@code start} says:
     * given the loop's bounds (lo, hi), an expression for its first index, e.g.
     * {@code Lanes.ON ? Simd.kernel(i0, lo, hi, …) : lo} (null: at lo).
     */
    CodeBlock wrap(List<CodeBlock> body, String[][] ranges, List<CodeBlock> after, BiFunction<String, String, CodeBlock> start) {
        if (after.isEmpty()) return wrap(body, ranges, 0, start);
        if (extents.size() < 2) throw new IllegalStateException("statements after the innermost loop need an outer loop");
        CodeBlock inner = wrap(body, ranges, extents.size() - 1, start);
        CodeBlock.Builder b = CodeBlock.builder();
        for (int d = 0; d < extents.size() - 1; d++) open(b, ranges, d, null);
        b.add(inner);
        after.forEach(b::add);
        for (int d = extents.size() - 2; d >= 0; d--) b.endControlFlow();
        return b.build();
    }

    private void open(CodeBlock.Builder b, String[][] ranges, int d, BiFunction<String, String, CodeBlock> start) {
        String[] r = bounds(ranges, d);
        if (start == null) {
            b.beginControlFlow("for (int i$L = $L; i$L < $L; i$L++)", d, r[0], d, r[1], d);
        } else {
            b.addStatement("int i$L = $L", d, start.apply(r[0], r[1]));
            b.beginControlFlow("for (; i$L < $L; i$L++)", d, r[1], d);
        }
    }

    /** Loop d's lower and upper bound. */
    private String[] bounds(String[][] ranges, int d) {
        boolean whole = ranges == null || merged.get(d); // a merged loop runs over its dimensions whole
        return new String[] {whole ? "0" : ranges[dims.get(d)][0], whole ? extents.get(d) : ranges[dims.get(d)][1]};
    }

    /** Loops {@code from} to the innermost around {@code body}; the innermost starts per {@code start}. */
    private CodeBlock wrap(List<CodeBlock> body, String[][] ranges, int from, BiFunction<String, String, CodeBlock> start) {
        CodeBlock.Builder b = CodeBlock.builder();
        for (int d = from; d < extents.size(); d++) open(b, ranges, d, d == extents.size() - 1 ? start : null);
        body.forEach(b::add);
        for (int d = extents.size() - 1; d >= from; d--) b.endControlFlow();
        return b.build();
    }

    /**
     * The loops around {@code body}, loop d running over {@code ranges[dim][0]} to
     * {@code ranges[dim][1]} of the space's dimension it covers (a nest built without merging).
     *
     * <pre>
     * for (int i0 = 0; i0 &lt; n; i0++) {
     *     for (int i1 = 0; i1 &lt; 10; i1++) {
     *         ... body ...
     *     }
     * }
     * </pre>
     */
    CodeBlock wrap(List<CodeBlock> body, String[][] ranges) {
        return wrap(body, ranges, 0, null);
    }
}
