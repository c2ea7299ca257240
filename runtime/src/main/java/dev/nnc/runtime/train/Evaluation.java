package dev.nnc.runtime.train;

/**
 * The result of {@link Trainer#evaluate}.
 *
 * @param loss     mean loss over all examples (NaN for an empty data set)
 * @param accuracy fraction of examples classified correctly (NaN for an empty data set, or when the
 *                 model has no output)
 */
public record Evaluation(double loss, double accuracy) {
}
