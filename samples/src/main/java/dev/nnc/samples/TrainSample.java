package dev.nnc.samples;

import dev.nnc.runtime.CompiledModel;
import dev.nnc.runtime.TensorInfo;
import dev.nnc.runtime.data.FashionMnist;
import dev.nnc.runtime.train.TrainConfig;
import dev.nnc.runtime.train.Trainer;
import java.util.List;

/**
 * Trains one of the sample models (classes generated from {@code src/main/nn/*.nn}) on Fashion-MNIST.
 *
 * <pre>
 * TrainSample &lt;Logistic|FashionMlp|DeepMlp&gt; [epochs] [batch]
 * mvn -pl samples exec:exec -Dsample.model=DeepMlp -Dsample.epochs=3
 * </pre>
 */
public final class TrainSample {

    static final List<String> MODELS = List.of("Logistic", "FashionMlp", "DeepMlp");
    static final int DEFAULT_EPOCHS = 5;
    static final int DEFAULT_BATCH = 128;
    static final long SEED = 42L;

    private TrainSample() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 3) {
            System.err.println("usage: TrainSample <" + String.join("|", MODELS) + "> [epochs] [batch]");
            System.exit(2);
        }
        int epochs;
        int batch;
        CompiledModel model;
        try {
            epochs = args.length > 1 ? positive(args[1], "epochs") : DEFAULT_EPOCHS;
            batch = args.length > 2 ? positive(args[2], "batch") : DEFAULT_BATCH;
            model = create(args[0], batch, SEED);
        } catch (IllegalArgumentException e) {
            System.err.println("TrainSample: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.out.println(model.name() + ": " + model.parameters().size() + " parameter tensors, "
                + model.parameters().stream().mapToLong(TensorInfo::rowSize).sum() + " values");
        var split = FashionMnist.load();
        Trainer.fit(model, split, new TrainConfig(epochs, batch, SEED, true), System.out, System.err);
    }

    /** A new instance of the generated class named {@code name}, for batches of up to {@code maxBatch} rows. */
    static CompiledModel create(String name, int maxBatch, long seed) {
        return switch (name) {
            case "Logistic" -> new Logistic(maxBatch, seed);
            case "FashionMlp" -> new FashionMlp(maxBatch, seed);
            case "DeepMlp" -> new DeepMlp(maxBatch, seed);
            default -> throw new IllegalArgumentException(
                    "unknown model '" + name + "', expected one of " + String.join(", ", MODELS));
        };
    }

    private static int positive(String text, String what) {
        try {
            int n = Integer.parseInt(text);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(what + " must be a positive integer, got '" + text + "'");
    }
}
