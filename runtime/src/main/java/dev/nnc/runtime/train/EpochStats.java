package dev.nnc.runtime.train;

import java.util.Locale;

/**
 * What one epoch of {@link Trainer#fit} measured.
 *
 * @param epoch             1-based epoch number
 * @param trainLoss         mean of the step losses during the epoch
 * @param testLoss          mean loss on the test set after the epoch (weighted by rows)
 * @param testAccuracy      fraction of test examples classified correctly after the epoch
 * @param samplesPerSecond  training examples per second of training time (evaluation excluded)
 */
public record EpochStats(int epoch, double trainLoss, double testLoss, double testAccuracy, double samplesPerSecond) {

    /**
     * The line printed after each epoch, in a fixed machine-readable format:
     * {@code epoch=3 train_loss=0.3012 test_loss=0.3321 test_accuracy=0.8817 samples_per_s=41234}.
     */
    public String line() {
        return String.format(Locale.ROOT, "epoch=%d train_loss=%.4f test_loss=%.4f test_accuracy=%.4f samples_per_s=%d",
                epoch, trainLoss, testLoss, testAccuracy, Math.round(samplesPerSecond));
    }
}
