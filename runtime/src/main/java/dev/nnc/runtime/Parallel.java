package dev.nnc.runtime;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The parallel loop that generated kernels and {@link Gemm} use: a fixed pool of daemon worker
 * threads that split an index range {@code [0, n)} into chunks.
 *
 * <p>The pool has {@link #threads()} participants: the calling thread plus {@code threads() - 1}
 * workers. Its size is {@link Runtime#availableProcessors()} unless the system property
 * {@code nnc.threads} is set (read once, when the class is initialised); {@link #setThreads}
 * replaces the pool at run time.
 *
 * <p>How a call runs:
 * <ul>
 *   <li>{@code n <= grain}, a single-thread pool, a call from inside a pool worker, or a call made
 *       while the pool is busy with another loop (a nested call from the caller's own chunk, or a
 *       second thread calling at the same time) runs {@code body.run(0, n)} inline. Nested
 *       parallelism therefore never deadlocks; it simply does not fan out again.</li>
 *   <li>Otherwise the range is cut into {@code min(n / grain, 4 * threads())} chunks of nearly equal
 *       size (each at least {@code grain} long). The caller and the workers claim chunks one at a
 *       time from a shared counter until none is left, so a slow thread never holds up the others
 *       for more than one chunk. The caller returns once every chunk has finished.</li>
 *   <li>The first exception or error thrown by any chunk is rethrown in the caller after all
 *       chunks already running have finished; chunks not yet started are skipped.</li>
 * </ul>
 *
 * <p>A call allocates nothing: the pool's single job slot (body, bounds, counters) is reused, and
 * a generation number packed into the claim counter keeps a late worker from claiming a chunk of
 * a job that has already finished.
 */
public final class Parallel {

    /** The body of a parallel loop: processes indices {@code [lo, hi)}. */
    @FunctionalInterface
    public interface RangeBody {
        /** Processes the indices {@code lo} (inclusive) to {@code hi} (exclusive). */
        void run(int lo, int hi);
    }

    /** System property that sets the pool size at start-up. */
    public static final String THREADS_PROPERTY = "nnc.threads";

    /** Chunks per participant: a little over-partitioning evens out uneven chunk costs. */
    private static final int CHUNKS_PER_THREAD = 4;

    /** The claim counter packs the chunk count and the next chunk into 16 bits each. */
    private static final int MAX_CHUNKS = 0xFFFF;

    private static volatile Pool pool = new Pool(defaultThreads());

    private Parallel() {
    }

    /** Number of threads that share a parallel loop (the caller included); at least 1. */
    public static int threads() {
        return pool.threads;
    }

    /**
     * Replaces the pool with one of {@code n} threads (the caller included; {@code n == 1} runs
     * every loop inline). Loops running on the old pool finish normally; its workers exit after.
     *
     * @throws IllegalArgumentException when {@code n < 1}
     */
    public static synchronized void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("the thread count must be at least 1, got " + n);
        }
        Pool old = pool;
        pool = new Pool(n);
        old.shutdown();
    }

    /**
     * Runs {@code body} over disjoint chunks that together cover {@code [0, n)}, in parallel when
     * that pays off. Each chunk is at least {@code grain} long (values below 1 count as 1); nothing
     * runs when {@code n <= 0}. See the class comment for when the loop runs inline.
     *
     * @throws RuntimeException or {@link Error} rethrown from the first chunk that failed
     */
    public static void forRange(int n, int grain, RangeBody body) {
        Objects.requireNonNull(body, "body");
        if (n <= 0) {
            return;
        }
        int g = Math.max(1, grain);
        Pool p = pool;
        if (n <= g || p.threads == 1 || Thread.currentThread() instanceof Worker) {
            body.run(0, n);
            return;
        }
        int chunks = (int) Math.min(Math.min(n / g, (long) CHUNKS_PER_THREAD * p.threads), MAX_CHUNKS);
        if (chunks <= 1 || !p.busy.compareAndSet(false, true)) {
            body.run(0, n);
            return;
        }
        try {
            p.run(n, chunks, body);
        } finally {
            p.busy.set(false);
        }
    }

    /**
     * Runs {@code body} over {@code [0, n)} cut into one chunk per participant (fewer when
     * {@code n < threads()}), chunk {@code i} on participant {@code i} (the caller is 0): a loop
     * called again and again with the same {@code n} finds each chunk's data in the cache of the
     * core that ran it last time. A participant that has not started its chunk by the time the
     * caller finishes its own loses it to the caller (a parked worker wakes too slowly to wait for).
     * Runs inline in the cases {@link #forRange} does.
     */
    public static void forRangePinned(int n, RangeBody body) {
        Objects.requireNonNull(body, "body");
        if (n <= 0) {
            return;
        }
        Pool p = pool;
        int chunks = Math.min(n, Math.min(p.threads, Pool.MAX_PINNED));
        if (chunks <= 1 || Thread.currentThread() instanceof Worker || !p.busy.compareAndSet(false, true)) {
            body.run(0, n);
            return;
        }
        try {
            p.runPinned(n, chunks, body);
        } finally {
            p.busy.set(false);
        }
    }

    private static int defaultThreads() {
        int cpus = Runtime.getRuntime().availableProcessors();
        String text = System.getProperty(THREADS_PROPERTY);
        if (text == null || text.isBlank()) {
            return cpus;
        }
        try {
            int n = Integer.parseInt(text.strip());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        System.err.println("nnc: ignoring -D" + THREADS_PROPERTY + "=" + text
                + " (expected a positive integer); using " + cpus + " threads");
        return cpus;
    }

    /** A pool thread; forRange calls made on one run inline. */
    private static final class Worker extends Thread {
        private final Pool pool;
        /** This worker's participant number (the caller is 0): the chunk it owns in a pinned loop. */
        final int index;
        /** Set while the worker is (about to be) parked: only then does a new job need to unpark it. */
        volatile boolean parked;

        Worker(Pool pool, int index) {
            super("nnc-worker-" + index);
            this.pool = pool;
            this.index = index;
            setDaemon(true);
        }

        @Override
        public void run() {
            pool.workerLoop();
        }
    }

    /**
     * One pool and its single job slot. The claim counter {@code ctl} holds, from high to low bits:
     * the job's generation (32 bits), its chunk count (16) and the next unclaimed chunk (16).
     */
    private static final class Pool {
        /** How long an idle worker spins for the next job before it parks. */
        private static final long SPIN_NANOS = 20_000;
        /** Most chunks of a pinned loop: one claim bit each in the low half of {@link #pins}. */
        static final int MAX_PINNED = 32;

        final int threads;
        final AtomicBoolean busy = new AtomicBoolean();
        private final Worker[] workers;
        private final AtomicLong ctl = new AtomicLong();
        /** A pinned loop's claims: its generation (high 32 bits) and one bit per claimed chunk. */
        private final AtomicLong pins = new AtomicLong();
        private volatile boolean pinned;
        private final AtomicInteger done = new AtomicInteger();
        private volatile boolean stopped;
        private volatile Throwable error;
        // The job: written by the caller before it publishes a new generation in ctl, read by
        // workers only after a successful claim, which pins the job until that chunk is done.
        private RangeBody body;
        private int n;
        private Thread caller;

        Pool(int threads) {
            this.threads = threads;
            this.workers = new Worker[threads - 1];
            for (int i = 0; i < workers.length; i++) {
                workers[i] = new Worker(this, i + 1);
                workers[i].start();
            }
        }

        void shutdown() {
            stopped = true;
            for (Worker w : workers) {
                LockSupport.unpark(w);
            }
        }

        /** Runs one job with the calling thread participating; the caller holds {@link #busy}. */
        void run(int n, int chunks, RangeBody body) {
            long gen = publish(n, chunks, body, false);
            participate(gen);
            finish(chunks);
        }

        /** {@link #run}, with chunk i owned by participant i (see {@link Parallel#forRangePinned}). */
        void runPinned(int n, int chunks, RangeBody body) {
            long gen = publish(n, chunks, body, true);
            runPinnedChunk(gen, 0);
            for (int c = 1; c < chunks; c++) { // chunks whose owner has not started yet
                runPinnedChunk(gen, c);
            }
            finish(chunks);
        }

        /** Writes the job, then starts its generation (the claim counter past every chunk when pinned). */
        private long publish(int n, int chunks, RangeBody body, boolean pinnedJob) {
            this.body = body;
            this.n = n;
            this.caller = Thread.currentThread();
            this.error = null;
            this.pinned = pinnedJob;
            done.set(0);
            long gen = ((ctl.get() >>> 32) + 1) & 0xFFFF_FFFFL;
            pins.set(gen << 32 | (-1L << chunks) & 0xFFFF_FFFFL); // chunks past the last count as claimed
            ctl.set(gen << 32 | (long) chunks << 16 | (pinnedJob ? chunks : 0));
            for (int i = 0, wake = Math.min(workers.length, chunks - 1); i < wake; i++) {
                if (workers[i].parked) { // a spinning worker sees the new generation by itself
                    LockSupport.unpark(workers[i]);
                }
            }
            return gen;
        }

        /** Waits for every chunk, then rethrows the first failure. */
        private void finish(int chunks) {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (done.get() < chunks) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            this.body = null;
            this.caller = null;
            Throwable t = error;
            if (t != null) {
                error = null;
                if (t instanceof RuntimeException re) {
                    throw re;
                }
                if (t instanceof Error e) {
                    throw e;
                }
                throw new RuntimeException(t);
            }
        }

        /** Claims and runs chunks of generation {@code gen} until none is left. */
        private void participate(long gen) {
            int c;
            while ((c = claim(gen)) >= 0) {
                runChunk(c);
            }
        }

        /** Runs chunk {@code c} of the pinned job of generation {@code gen}, unless it is claimed already. */
        private void runPinnedChunk(long gen, int c) {
            while (true) {
                long v = pins.get();
                if (v >>> 32 != gen || (v & 1L << c) != 0) {
                    return;
                }
                if (pins.compareAndSet(v, v | 1L << c)) {
                    runChunk(c);
                    return;
                }
            }
        }

        /** Runs claimed chunk {@code c}; the claim pins the job: its fields stay until the chunk is counted as done. */
        private void runChunk(int c) {
            RangeBody b = body;
            int total = n;
            int chunks = (int) (ctl.get() >>> 16) & 0xFFFF;
            Thread owner = caller;
            if (error == null) {
                int lo = (int) ((long) c * total / chunks);
                int hi = (int) ((long) (c + 1) * total / chunks);
                try {
                    b.run(lo, hi);
                } catch (Throwable t) {
                    if (error == null) {
                        error = t;
                    }
                }
            }
            if (done.incrementAndGet() == chunks && owner != Thread.currentThread()) {
                LockSupport.unpark(owner);
            }
        }

        /** The index of a newly claimed chunk of generation {@code gen}, or -1 when none is left. */
        private int claim(long gen) {
            while (true) {
                long v = ctl.get();
                if (v >>> 32 != gen) {
                    return -1;
                }
                int chunks = (int) (v >>> 16) & 0xFFFF;
                int next = (int) v & 0xFFFF;
                if (next >= chunks) {
                    return -1;
                }
                if (ctl.compareAndSet(v, v + 1)) {
                    return next;
                }
            }
        }

        void workerLoop() {
            long seen = ctl.get() >>> 32;
            long idleSince = System.nanoTime();
            while (!stopped) {
                long gen = ctl.get() >>> 32;
                if (gen != seen) {
                    seen = gen;
                    if (pinned) {
                        runPinnedChunk(gen, ((Worker) Thread.currentThread()).index);
                    } else {
                        participate(gen);
                    }
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    // announce the park, then look once more: a caller that published a job before
                    // seeing the flag is caught here, one that sees it unparks this thread
                    Worker self = (Worker) Thread.currentThread();
                    self.parked = true;
                    if (ctl.get() >>> 32 == seen && !stopped) {
                        LockSupport.park(this);
                    }
                    self.parked = false;
                }
            }
        }
    }
}
