package dev.nnc.compiler.plan;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Static memory planning: buffers with live intervals over a kernel schedule get offsets in one
 * arena so that buffers live at the same time never overlap. Greedy by size with best fit, as in
 * TFLite's greedy-by-size planner and XLA's heap simulator: the largest buffers are placed first,
 * each in the smallest gap among the buffers whose lifetimes intersect its own.
 *
 * <p>Sizes are in elements; for batch-dependent buffers they are elements per batch row, and
 * offsets scale with the maximum batch size, so one plan serves every batch size.
 */
public final class MemoryPlanner {
    private MemoryPlanner() {
    }

    /**
     * A buffer to place: live from the step that writes it to the last step that reads it
     * (inclusive). {@code pinned} buffers (e.g. feeds) get an offset of their own, never shared.
     */
    public record Buffer(String name, long size, int start, int end, boolean pinned) {
        public Buffer {
            if (size < 0 || end < start) throw new IllegalArgumentException("bad buffer " + name);
        }

        boolean overlapsInTime(Buffer o) {
            return start <= o.end && o.start <= end;
        }
    }

    /** Offsets by buffer, the arena size, the naive size (every buffer its own) and the peak of live bytes. */
    public record Plan(Map<Buffer, Long> offsets, long arenaSize, long naiveSize, long peakLive) {
        public long offset(Buffer b) {
            return offsets.get(b);
        }
    }

    public static Plan plan(List<Buffer> buffers) {
        List<Buffer> order = new ArrayList<>(buffers);
        // pinned first, then by size descending; ties by start then name keep plans deterministic
        order.sort(Comparator.comparing((Buffer b) -> !b.pinned()).thenComparing(Comparator.comparingLong(Buffer::size)
                .reversed()).thenComparingInt(Buffer::start).thenComparing(Buffer::name));
        Map<Buffer, Long> offsets = new LinkedHashMap<>();
        long arena = 0;
        for (Buffer b : order) {
            long off;
            if (b.pinned()) {
                off = arena;
            } else {
                off = bestFit(b, offsets);
            }
            offsets.put(b, off);
            arena = Math.max(arena, off + b.size());
        }
        Map<Buffer, Long> inInputOrder = new LinkedHashMap<>();
        for (Buffer b : buffers) inInputOrder.put(b, offsets.get(b));
        long naive = buffers.stream().mapToLong(Buffer::size).sum();
        return new Plan(inInputOrder, arena, naive, peakLive(buffers));
    }

    /** The smallest gap between placed buffers that are live at the same time as {@code b}. */
    private static long bestFit(Buffer b, Map<Buffer, Long> placed) {
        List<long[]> busy = new ArrayList<>(); // [offset, end)
        for (var e : placed.entrySet()) {
            if (e.getKey().overlapsInTime(b) || e.getKey().pinned()) {
                busy.add(new long[] {e.getValue(), e.getValue() + e.getKey().size()});
            }
        }
        busy.sort(Comparator.comparingLong(r -> r[0]));
        long best = -1;
        long bestGap = Long.MAX_VALUE;
        long cursor = 0;
        for (long[] r : busy) {
            long gap = r[0] - cursor;
            if (gap >= b.size() && gap < bestGap) {
                best = cursor;
                bestGap = gap;
            }
            cursor = Math.max(cursor, r[1]);
        }
        return best >= 0 ? best : cursor;
    }

    /** The maximum over schedule steps of the total size of the buffers live at that step. */
    public static long peakLive(List<Buffer> buffers) {
        int last = buffers.stream().mapToInt(Buffer::end).max().orElse(-1);
        long peak = 0;
        for (int step = 0; step <= last; step++) {
            long live = 0;
            for (Buffer b : buffers) {
                if (b.pinned() || (b.start() <= step && step <= b.end())) live += b.size();
            }
            peak = Math.max(peak, live);
        }
        return peak;
    }
}
