package dev.nnc.runtime.train;

/**
 * How {@link Trainer#fit} trains.
 *
 * @param epochs    passes over the training set (0 trains nothing and returns an empty list)
 * @param batchSize rows per step; capped at the model's {@code maxBatch()}
 * @param seed      seed of the shuffling order (the model's initial weights have their own seed)
 * @param progress  whether to draw a progress bar while an epoch runs
 */
public record TrainConfig(int epochs, int batchSize, long seed, boolean progress) {

    /** Checks that epochs are not negative and the batch size is positive. */
    public TrainConfig {
        if (epochs < 0) {
            throw new IllegalArgumentException("epochs must be >= 0, got " + epochs);
        }
        if (batchSize <= 0) {
            throw new IllegalArgumentException("the batch size must be positive, got " + batchSize);
        }
    }
}
