package dev.nnc.compiler.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.plan.MemoryPlanner.Buffer;
import dev.nnc.compiler.plan.MemoryPlanner.Plan;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MemoryPlannerTest {
    @Test
    void chainReusesMemory() {
        // a -> b -> c -> d: each buffer dies at its consumer, so two slots suffice
        List<Buffer> bs = List.of(new Buffer("a", 100, 0, 1, false), new Buffer("b", 100, 1, 2, false),
                new Buffer("c", 100, 2, 3, false), new Buffer("d", 100, 3, 4, false));
        Plan p = MemoryPlanner.plan(bs);
        assertEquals(400, p.naiveSize());
        assertEquals(200, p.peakLive());
        assertEquals(200, p.arenaSize());
        assertNoConflicts(bs, p);
    }

    @Test
    void pinnedBuffersNeverShare() {
        List<Buffer> bs = List.of(new Buffer("x", 50, 0, 0, true), new Buffer("t", 50, 2, 3, false));
        Plan p = MemoryPlanner.plan(bs);
        assertEquals(100, p.arenaSize());
        assertNoConflicts(bs, p);
    }

    @Test
    void randomSchedulesNeverOverlapAndStayNearPeak() {
        Random rnd = new Random(1);
        for (int trial = 0; trial < 200; trial++) {
            List<Buffer> bs = new ArrayList<>();
            int steps = 5 + rnd.nextInt(40);
            for (int i = 0; i < 3 + rnd.nextInt(30); i++) {
                int s = rnd.nextInt(steps);
                bs.add(new Buffer("b" + i, 1 + rnd.nextInt(1000), s, s + rnd.nextInt(Math.max(1, steps - s)),
                        rnd.nextInt(10) == 0));
            }
            Plan p = MemoryPlanner.plan(bs);
            assertNoConflicts(bs, p);
            assertTrue(p.arenaSize() >= p.peakLive(), "the peak of live bytes is a lower bound");
            assertTrue(p.arenaSize() <= p.naiveSize());
        }
    }

    static void assertNoConflicts(List<Buffer> bs, Plan p) {
        for (Buffer a : bs) {
            for (Buffer b : bs) {
                if (a == b) continue;
                boolean time = a.pinned() || b.pinned() || (a.start() <= b.end() && b.start() <= a.end());
                long ao = p.offset(a);
                long bo = p.offset(b);
                boolean space = ao < bo + b.size() && bo < ao + a.size() && a.size() > 0 && b.size() > 0;
                assertTrue(!(time && space), a + " at " + ao + " overlaps " + b + " at " + bo);
            }
        }
    }
}
