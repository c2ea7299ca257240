package dev.nnc.runtime.data;

import java.util.Arrays;

/**
 * A labelled data set held in memory: {@code count} examples whose features lie row after row in
 * {@code features} ({@link #featureSize()} values each, e.g. pixels scaled to [0, 1]) and whose
 * class labels lie in {@code labels}.
 *
 * <p>The arrays are shared, not copied: a Dataset is a view that the trainer reads from. Arrays
 * longer than needed are allowed; only the first {@code count} rows are used.
 *
 * @param name         a short name for messages, e.g. {@code fashion-mnist train}
 * @param features     {@code count × featureSize()} values, row-major
 * @param labels       {@code count} class indices
 * @param count        the number of examples
 * @param featureShape the shape of one example, e.g. {@code [1, 28, 28]}
 */
public record Dataset(String name, float[] features, int[] labels, int count, int[] featureShape) {

    /** Checks that the arrays hold {@code count} examples of the given shape. */
    public Dataset {
        featureShape = featureShape.clone();
        long size = 1;
        for (int d : featureShape) {
            if (d <= 0) {
                throw new IllegalArgumentException("data set '" + name + "': feature dimensions must be positive, got "
                        + Arrays.toString(featureShape));
            }
            size *= d;
        }
        if (count < 0) {
            throw new IllegalArgumentException("data set '" + name + "': negative count " + count);
        }
        if ((long) count * size > features.length) {
            throw new IllegalArgumentException("data set '" + name + "': " + count + " examples of "
                    + Arrays.toString(featureShape) + " need " + (long) count * size + " feature values, the array holds "
                    + features.length);
        }
        if (count > labels.length) {
            throw new IllegalArgumentException("data set '" + name + "': " + count + " examples need " + count
                    + " labels, the array holds " + labels.length);
        }
    }

    /** A copy of the shape of one example. */
    @Override
    public int[] featureShape() {
        return featureShape.clone();
    }

    /** Values per example: the product of {@link #featureShape()}. */
    public int featureSize() {
        int size = 1;
        for (int d : featureShape) {
            size *= d;
        }
        return size;
    }

    @Override
    public String toString() {
        return name + " (" + count + " × " + Arrays.toString(featureShape) + ")";
    }
}
