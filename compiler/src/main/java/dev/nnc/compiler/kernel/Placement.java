package dev.nnc.compiler.kernel;

/** Where a kernel's work runs, decided by {@link PlaceKernels}; code generation only reads it. */
public enum Placement {
    /** On the calling thread (a product runs its own split across the pool inside Gemm or Conv). */
    CALLER,
    /** A product whose epilogue runs per finished tile on the thread that computed it. */
    TILES,
    /** A loop over batch rows, in fixed chunks of rows on the pool; sums combined in chunk order. */
    CHUNKS,
    /** A recurrence: one loop over t on the calling thread, its body's kernels placed on their own. */
    LOOP
}
