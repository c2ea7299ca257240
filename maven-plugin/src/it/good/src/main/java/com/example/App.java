package com.example;

import dev.nnc.runtime.Batch;
import dev.nnc.runtime.CompiledModel;
import java.util.Random;

/** Trains the generated {@link Tiny} on a synthetic task: the class is the largest of the first three features. */
public final class App {

    static final int ROWS = 256;
    static final int FEATURES = 4;

    private App() {
    }

    /** Row-major features, ROWS x FEATURES. */
    static float[] features(long seed) {
        Random r = new Random(seed);
        float[] x = new float[ROWS * FEATURES];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    static int[] labels(float[] x) {
        int[] y = new int[ROWS];
        for (int row = 0; row < ROWS; row++) {
            int best = 0;
            for (int c = 1; c < 3; c++) {
                if (x[row * FEATURES + c] > x[row * FEATURES + best]) {
                    best = c;
                }
            }
            y[row] = best;
        }
        return y;
    }

    /** Runs {@code epochs} passes of mini-batches of 32 and returns the mean loss of each epoch. */
    static double[] train(CompiledModel model, int epochs) {
        float[] x = features(7);
        int[] y = labels(x);
        Batch batch = model.newBatch();
        double[] epochLoss = new double[epochs];
        for (int e = 0; e < epochs; e++) {
            double sum = 0;
            for (int start = 0; start < ROWS; start += 32) {
                batch.set(0, x, start * FEATURES).set(1, y, start).size(32);
                sum += model.trainStep(batch);
            }
            epochLoss[e] = sum / (ROWS / 32);
        }
        return epochLoss;
    }

    public static void main(String[] args) {
        Tiny model = new Tiny(32, 42L);
        System.out.println(model.name() + " feeds=" + model.feeds() + " parameters=" + model.parameters());
        double[] losses = train(model, 20);
        System.out.printf("loss %.4f -> %.4f%n", losses[0], losses[losses.length - 1]);
    }
}
