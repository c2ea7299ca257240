package dev.nnc.samples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.runtime.Batch;
import dev.nnc.runtime.CompiledModel;
import dev.nnc.runtime.data.Dataset;
import dev.nnc.runtime.data.FashionMnist;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** trainStep allocates nothing once warm: bytes allocated by every thread, measured by the JVM. */
class AllocationTest {
    @Test
    void trainStepDoesNotAllocate() {
        Dataset d = FashionMnist.embedded().train();
        for (CompiledModel m : new CompiledModel[] {new FashionMlp(128, 1), new DeepMlp(128, 1), new Logistic(128, 1)}) {
            Batch b = m.newBatch().size(128).set(0, d.features(), 0);
            if (m.feeds().get(1).dtype() == dev.nnc.runtime.DType.I32) {
                b.set(1, d.labels(), 0);
            } else {
                b.set(1, new float[128], 0);
            }
            for (int i = 0; i < 300; i++) m.trainStep(b); // warm up the JIT (escape analysis included)
            long before = allocatedByAllThreads();
            for (int i = 0; i < 50; i++) m.trainStep(b);
            long bytes = allocatedByAllThreads() - before;
            // the measurement itself allocates a little (thread id arrays); 50 steps of a model
            // allocating even one small object per kernel would exceed this by far
            assertTrue(bytes < 16_384, m.name() + ": 50 training steps allocated " + bytes + " bytes");
        }
    }

    private static long allocatedByAllThreads() {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long total = 0;
        for (long a : mx.getThreadAllocatedBytes(mx.getAllThreadIds())) {
            if (a > 0) total += a;
        }
        return total;
    }
}
