package dev.nnc.compiler.e2e;

import java.util.Random;

/** Random well-formed .nn programs: MLPs of random depth, widths, activations, losses and extras. */
final class RandomNetworks {
    private RandomNetworks() {
    }

    private static final String[] ACTIVATIONS = {"relu", "tanh", "sigmoid", "leaky_relu", "exp"};

    static String program(Random rnd) {
        int in = 1 + rnd.nextInt(6);
        int classes = 2 + rnd.nextInt(4);
        StringBuilder body = new StringBuilder();
        String h = "x";
        int layers = 1 + rnd.nextInt(4);
        for (int l = 0; l < layers; l++) {
            int width = 1 + rnd.nextInt(7);
            String act = ACTIVATIONS[rnd.nextInt(ACTIVATIONS.length)];
            String next = "h" + l;
            String expr = h + " |> dense(" + width + ") |> " + act;
            if (act.equals("exp")) expr = "exp(" + h + " |> dense(" + width + ") |> tanh)";
            if (rnd.nextInt(3) == 0) expr += " |> dropout(0.3)";
            if (rnd.nextInt(4) == 0) expr = "(" + expr + ") * 0.5 + (" + expr + ") / 2";
            body.append("    ").append(next).append(" = ").append(expr).append('\n');
            h = next;
        }
        body.append("    logits = dense(").append(h).append(", ").append(classes).append(")\n");
        String target;
        String loss;
        switch (rnd.nextInt(3)) {
            case 0 -> {
                target = "target y: i32[N]";
                loss = "cross_entropy(logits, y)";
            }
            case 1 -> {
                target = "target y: f32[N, " + classes + "]";
                loss = "mse(softmax(logits), y)";
            }
            default -> {
                target = "target y: f32[N, " + classes + "]";
                loss = "binary_cross_entropy(sigmoid(logits), y) + mean(log_softmax(logits) * y) * 0.1";
            }
        }
        String optimizer = switch (rnd.nextInt(3)) {
            case 0 -> "sgd(lr = 0.05)";
            case 1 -> "sgd(lr = 0.05, momentum = 0.9, nesterov = true)";
            default -> "adam(lr = 0.01)";
        };
        String reg = rnd.nextBoolean() ? "    regularize l2(0.01)\n" : "";
        return "model R {\n    input x: f32[N, " + in + "]\n    " + target + "\n" + body
                + "    output softmax(logits)\n    loss " + loss + "\n    optimizer " + optimizer + "\n" + reg + "}\n";
    }
}
