package dev.nnc.runtime.data;

/**
 * A training set and a test set, with a line that says where they came from (printed by tools so
 * that a run on the embedded subset is never mistaken for one on the full data).
 *
 * @param train       examples to train on
 * @param test        held-out examples to evaluate on
 * @param description where the data came from, e.g.
 *                    {@code Fashion-MNIST (full: 60000 train / 10000 test) from /usr/share/datasets/fashion-mnist}
 */
public record DataSplit(Dataset train, Dataset test, String description) {
}
