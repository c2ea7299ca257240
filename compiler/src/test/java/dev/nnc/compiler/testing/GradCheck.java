package dev.nnc.compiler.testing;

import dev.nnc.runtime.Batch;
import dev.nnc.runtime.CompiledModel;
import dev.nnc.runtime.TensorInfo;

/**
 * Central finite differences (f64, step 1e-5) against the compiled backward pass. The error of an
 * element is {@code |numeric - analytic| / max(1e-3, |numeric| + |analytic|)}: relative for
 * ordinary gradients, absolute (scaled by 1e3) for those near zero, where finite differences
 * carry only round-off.
 */
public final class GradCheck {
    private GradCheck() {
    }

    /** The largest relative error over every element of every parameter. */
    public static double maxRelativeError(CompiledModel m, Batch batch, StringBuilder report) {
        m.computeGradients(batch);
        double worst = 0;
        double eps = 1e-5;
        for (TensorInfo p : m.parameters()) {
            double[] analytic = m.gradient(p.name());
            double[] w = m.parameter(p.name());
            for (int i = 0; i < w.length; i++) {
                double orig = w[i];
                w[i] = orig + eps;
                m.setParameter(p.name(), w);
                double up = m.trainingLoss(batch);
                w[i] = orig - eps;
                m.setParameter(p.name(), w);
                double down = m.trainingLoss(batch);
                w[i] = orig;
                m.setParameter(p.name(), w);
                double numeric = (up - down) / (2 * eps);
                double err = Math.abs(numeric - analytic[i]) / Math.max(1e-3, Math.abs(numeric) + Math.abs(analytic[i]));
                if (err > worst) {
                    worst = err;
                    report.setLength(0);
                    report.append(p.name()).append('[').append(i).append("]: analytic ").append(analytic[i])
                            .append(", numeric ").append(numeric);
                }
            }
        }
        return worst;
    }
}
