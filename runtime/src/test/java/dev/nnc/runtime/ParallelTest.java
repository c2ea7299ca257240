package dev.nnc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ParallelTest {

    private static final Duration LIMIT = Duration.ofSeconds(20);
    private int saved;

    @BeforeEach
    void save() {
        saved = Parallel.threads();
    }

    @AfterEach
    void restore() {
        Parallel.setThreads(saved);
    }

    /** Runs forRange and checks that every index is covered exactly once, by chunks of at least grain. */
    private static void checkCover(int n, int grain) {
        AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 0));
        List<int[]> chunks = Collections.synchronizedList(new ArrayList<>());
        Parallel.forRange(n, grain, (lo, hi) -> {
            chunks.add(new int[] {lo, hi});
            for (int i = lo; i < hi; i++) {
                hits.incrementAndGet(i);
            }
        });
        for (int i = 0; i < n; i++) {
            assertEquals(1, hits.get(i), "index " + i + " of n=" + n + " grain=" + grain);
        }
        for (int[] c : chunks) {
            assertTrue(c[0] < c[1], "empty chunk");
            if (chunks.size() > 1) {
                assertTrue(c[1] - c[0] >= grain, "chunk " + c[0] + ".." + c[1] + " shorter than grain " + grain);
            }
        }
        if (n <= 0) {
            assertTrue(chunks.isEmpty());
        }
    }

    @Test
    void coversTheRangeExactlyOnce() {
        assertTimeoutPreemptively(LIMIT, () -> {
            for (int threads : new int[] {1, 2, 3, 8}) {
                Parallel.setThreads(threads);
                assertEquals(threads, Parallel.threads());
                for (int n : new int[] {0, 1, 2, 7, 64, 1000, 100_003}) {
                    for (int grain : new int[] {0, 1, 3, 16, 1000, 200_000}) {
                        checkCover(n, grain);
                    }
                }
            }
        });
    }

    @Test
    void runsInlineWhenTheRangeIsSmall() {
        Parallel.setThreads(4);
        Thread me = Thread.currentThread();
        List<Thread> seen = Collections.synchronizedList(new ArrayList<>());
        List<int[]> chunks = Collections.synchronizedList(new ArrayList<>());
        Parallel.forRange(10, 10, (lo, hi) -> {
            seen.add(Thread.currentThread());
            chunks.add(new int[] {lo, hi});
        });
        assertEquals(1, chunks.size());
        assertEquals(0, chunks.get(0)[0]);
        assertEquals(10, chunks.get(0)[1]);
        assertSame(me, seen.get(0));
    }

    @Test
    void runsInlineWithOneThread() {
        Parallel.setThreads(1);
        AtomicInteger calls = new AtomicInteger();
        Parallel.forRange(1_000_000, 1, (lo, hi) -> {
            calls.incrementAndGet();
            assertEquals(0, lo);
            assertEquals(1_000_000, hi);
        });
        assertEquals(1, calls.get());
    }

    @Test
    void callerTakesPartAndWorkersHelp() {
        assertTimeoutPreemptively(LIMIT, () -> {
            Parallel.setThreads(4);
            Thread me = Thread.currentThread();
            AtomicInteger byCaller = new AtomicInteger();
            AtomicInteger byOthers = new AtomicInteger();
            for (int round = 0; round < 50; round++) {
                Parallel.forRange(64, 1, (lo, hi) -> {
                    (Thread.currentThread() == me ? byCaller : byOthers).addAndGet(hi - lo);
                    long until = System.nanoTime() + 20_000;
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                });
            }
            assertEquals(50 * 64, byCaller.get() + byOthers.get());
            assertTrue(byCaller.get() > 0, "the caller ran no chunk");
            assertTrue(byOthers.get() > 0, "no worker ran a chunk");
        });
    }

    @Test
    void rethrowsExceptionsFromWorkers() {
        assertTimeoutPreemptively(LIMIT, () -> {
            Parallel.setThreads(4);
            Thread me = Thread.currentThread();
            for (int round = 0; round < 100; round++) {
                IllegalStateException e = assertThrows(IllegalStateException.class, () ->
                        Parallel.forRange(1000, 1, (lo, hi) -> {
                            if (Thread.currentThread() != me || lo == 0) {
                                throw new IllegalStateException("boom at " + lo);
                            }
                        }));
                assertTrue(e.getMessage().startsWith("boom at "));
            }
            // the pool still works afterwards
            checkCover(10_000, 10);
            AssertionError err = assertThrows(AssertionError.class, () ->
                    Parallel.forRange(100, 1, (lo, hi) -> {
                        throw new AssertionError("error " + lo);
                    }));
            assertTrue(err.getMessage().startsWith("error "));
        });
    }

    @Test
    void nestedCallsRunInlineWithoutDeadlock() {
        assertTimeoutPreemptively(LIMIT, () -> {
            Parallel.setThreads(3);
            AtomicLong sum = new AtomicLong();
            for (int round = 0; round < 200; round++) {
                Parallel.forRange(8, 1, (lo, hi) -> {
                    for (int i = lo; i < hi; i++) {
                        int outer = i;
                        Parallel.forRange(100, 1, (a, b) -> {
                            for (int j = a; j < b; j++) {
                                sum.addAndGet(outer * 100L + j);
                            }
                        });
                    }
                });
            }
            long expected = 0;
            for (int i = 0; i < 800; i++) {
                expected += i;
            }
            assertEquals(200 * expected, sum.get());
        });
    }

    @Test
    void concurrentCallersAllGetCorrectResults() {
        assertTimeoutPreemptively(LIMIT, () -> {
            Parallel.setThreads(4);
            int callers = 4;
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < callers; t++) {
                Thread th = new Thread(() -> {
                    try {
                        start.await();
                        for (int round = 0; round < 300; round++) {
                            long[] partial = new long[1];
                            AtomicLong total = new AtomicLong();
                            Parallel.forRange(5000, 7, (lo, hi) -> {
                                long s = 0;
                                for (int i = lo; i < hi; i++) {
                                    s += i;
                                }
                                total.addAndGet(s);
                            });
                            partial[0] = total.get();
                            assertEquals(5000L * 4999 / 2, partial[0]);
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                });
                threads.add(th);
                th.start();
            }
            start.countDown();
            for (Thread th : threads) {
                th.join();
            }
            assertTrue(failures.isEmpty(), () -> "failures: " + failures);
        });
    }

    @Test
    void manySmallLoopsInARow() {
        assertTimeoutPreemptively(LIMIT, () -> {
            for (int threads : new int[] {2, 5}) {
                Parallel.setThreads(threads);
                long[] data = new long[257];
                for (int round = 0; round < 20_000; round++) {
                    Parallel.forRange(data.length, 8, (lo, hi) -> {
                        for (int i = lo; i < hi; i++) {
                            data[i]++;
                        }
                    });
                }
                for (long d : data) {
                    assertEquals(20_000, d);
                }
            }
        });
    }

    /**
     * A pinned loop covers the range exactly once in one chunk per participant, the chunks being
     * the same from call to call; with workers spinning between calls (back-to-back calls), chunk i
     * runs on participant i (asserted loosely: a descheduled worker loses its chunk to the caller), and
     * the caller runs chunk 0 every time.
     */
    @Test
    void pinnedLoopsGiveEachThreadTheSameChunk() {
        assertTimeoutPreemptively(LIMIT, () -> {
            for (int threads : new int[] {1, 2, 3, 4}) {
                Parallel.setThreads(threads);
                for (int n : new int[] {0, 1, 2, 5, 64, 1001}) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
                    List<int[]> chunks = Collections.synchronizedList(new ArrayList<>());
                    Parallel.forRangePinned(n, (lo, hi) -> {
                        chunks.add(new int[] {lo, hi});
                        for (int i = lo; i < hi; i++) hits.incrementAndGet(i);
                    });
                    for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "index " + i + " of " + n);
                    assertEquals(n == 0 ? 0 : Math.min(n, threads), chunks.size(), "one chunk per thread, n=" + n);
                }
            }
            Parallel.setThreads(2);
            Thread me = Thread.currentThread();
            int calls = 2000;
            AtomicInteger callerRanZero = new AtomicInteger();
            AtomicInteger workerRanOne = new AtomicInteger();
            for (int call = 0; call < calls; call++) {
                Parallel.forRangePinned(2, (lo, hi) -> {
                    // 50 µs of work: long enough for a spinning worker to claim its own chunk before
                    // the caller, done with chunk 0, takes what is left
                    long until = System.nanoTime() + 50_000;
                    while (System.nanoTime() < until) Thread.onSpinWait();
                    boolean caller = Thread.currentThread() == me;
                    if (lo == 0 && caller) callerRanZero.incrementAndGet();
                    if (lo == 1 && !caller) workerRanOne.incrementAndGet();
                });
            }
            assertEquals(calls, callerRanZero.get(), "the caller always runs chunk 0");
            assertTrue(workerRanOne.get() > calls / 10, "the worker ran chunk 1 in " + workerRanOne.get() + " of " + calls);
        });
    }

    @Test
    void pinnedLoopsRethrowAndRunNestedCallsInline() {
        Parallel.setThreads(2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forRangePinned(2, (lo, hi) -> {
            if (lo == 1) throw new IllegalStateException("chunk 1");
        }));
        assertEquals("chunk 1", e.getMessage());
        AtomicInteger inner = new AtomicInteger();
        Parallel.forRangePinned(2, (lo, hi) -> Parallel.forRangePinned(10, (a, b) -> inner.addAndGet(b - a)));
        assertEquals(20, inner.get());
        AtomicInteger after = new AtomicInteger(); // the pool still works after a failure and a nested call
        Parallel.forRange(1000, 1, (lo, hi) -> after.addAndGet(hi - lo));
        assertEquals(1000, after.get());
    }

    @Test
    void setThreadsRejectsZero() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Parallel.setThreads(0));
        assertTrue(e.getMessage().contains("at least 1"), e.getMessage());
    }

    @Test
    void workersAreDaemons() {
        Parallel.setThreads(3);
        Parallel.forRange(1000, 1, (lo, hi) -> {
            if (Thread.currentThread().getName().startsWith("nnc-worker-")) {
                assertTrue(Thread.currentThread().isDaemon());
            }
        });
    }
}
