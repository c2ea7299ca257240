package dev.nnc.samples;

import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;

import dev.nnc.runtime.Batch;
import dev.nnc.runtime.CompiledModel;
import dev.nnc.runtime.data.Dataset;
import dev.nnc.runtime.data.FashionMnist;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * trainStep allocates nothing once warm: bytes allocated by the calling thread and the runtime's
 * worker threads, measured by the JVM (other threads of the test JVM are left out: they are noise).
 */
class AllocationTest {
    @Test
    void trainStepDoesNotAllocate() {
        Dataset d = FashionMnist.embedded().train();
        for (CompiledModel m : new CompiledModel[] {new FashionMlp(128, 1), new DeepMlp(128, 1), new Logistic(128, 1),
                new LeNet5(128, 1), new RowRnn(128, 1)}) {
            Batch b = m.newBatch().size(128).set(0, d.features(), 0);
            if (m.feeds().get(1).dtype() == dev.nnc.runtime.DType.I32) {
                b.set(1, d.labels(), 0);
            } else {
                b.set(1, new float[128], 0);
            }
            for (int i = 0; i < 300; i++) m.trainStep(b); // warm up the JIT (escape analysis included)
            long[] workers = workers();
            // up to four windows of 50 steps: on a busy 2-core machine C2 may finish a kernel's
            // compilation only after the warm-up (its interpreted and C1 forms box vectors), so the
            // claim is that a warm window allocates nothing, not that the first one is warm
            long bytes = Long.MAX_VALUE;
            List<Long> windows = new java.util.ArrayList<>();
            for (int window = 0; window < 4 && bytes >= 1_500; window++) {
                long before = allocated(workers);
                for (int i = 0; i < 50; i++) m.trainStep(b);
                bytes = allocated(workers) - before;
                windows.add(bytes);
            }
            System.out.println(m.name() + ": 50 warm training steps allocated " + windows + " bytes");
            // the measurement itself allocates about 800 bytes (its result arrays); a model that
            // allocated one small object (16+ bytes) per step would add 800 more over 50 steps
            if (bytes >= 1_500) {
                fail(m.name() + ": every window of 50 training steps allocated: " + windows + " bytes; where (JFR "
                        + "allocation samples of 50 more steps, top frames):\n" + whereItAllocates(m, b));
            }
        }
    }

    /**
     * The most frequent allocating frames (method and line, with the first frame in generated or
     * runtime code) of 50 more training steps, from a JFR recording of allocation events.
     */
    private static String whereItAllocates(CompiledModel m, Batch b) {
        try (jdk.jfr.Recording r = new jdk.jfr.Recording()) {
            r.enable("jdk.ObjectAllocationInNewTLAB").withStackTrace();
            r.enable("jdk.ObjectAllocationOutsideTLAB").withStackTrace();
            r.start();
            for (int i = 0; i < 50; i++) m.trainStep(b);
            r.stop();
            java.nio.file.Path file = java.nio.file.Files.createTempFile("nnc-alloc", ".jfr");
            try {
                r.dump(file);
                java.util.Map<String, Integer> counts = new java.util.TreeMap<>();
                for (jdk.jfr.consumer.RecordedEvent e : jdk.jfr.consumer.RecordingFile.readAllEvents(file)) {
                    if (e.getStackTrace() == null) continue;
                    StringBuilder where = new StringBuilder(e.getClass("objectClass").getName()).append(" at");
                    int shown = 0;
                    for (jdk.jfr.consumer.RecordedFrame f : e.getStackTrace().getFrames()) {
                        String type = f.getMethod().getType().getName();
                        if (shown == 0 && !type.startsWith("dev.nnc.")) continue;
                        where.append(' ').append(type.substring(type.lastIndexOf('.') + 1)).append('.')
                                .append(f.getMethod().getName()).append(':').append(f.getLineNumber())
                                .append(f.getType().equals("Interpreted") ? "(int)" : "");
                        if (++shown == 3) break;
                    }
                    counts.merge(where.toString(), 1, Integer::sum);
                }
                return counts.entrySet().stream().sorted((x, y) -> y.getValue() - x.getValue()).limit(8)
                        .map(x -> x.getValue() + "× " + x.getKey()).collect(java.util.stream.Collectors.joining("\n"));
            } finally {
                java.nio.file.Files.deleteIfExists(file);
            }
        } catch (java.io.IOException e) {
            return "(no recording: " + e + ")";
        }
    }

    /** Ids of the runtime's worker threads (nnc-worker-*), looked up once, outside the measurement. */
    private static long[] workers() {
        var mx = ManagementFactory.getThreadMXBean();
        return java.util.Arrays.stream(mx.getThreadInfo(mx.getAllThreadIds()))
                .filter(t -> t != null && t.getThreadName().startsWith("nnc-worker-"))
                .mapToLong(java.lang.management.ThreadInfo::getThreadId).toArray();
    }

    /** Bytes allocated so far by this thread and by the given threads. */
    private static long allocated(long[] threads) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long total = mx.getCurrentThreadAllocatedBytes();
        for (long a : mx.getThreadAllocatedBytes(threads)) total += Math.max(0, a);
        return total;
    }
}
