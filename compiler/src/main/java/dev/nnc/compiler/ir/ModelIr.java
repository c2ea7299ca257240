package dev.nnc.compiler.ir;

import dev.nnc.compiler.ast.Pos;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One lowered model: the graph plus its roots. The graph holds the model lowered twice, in
 * training mode (dropout active, loss with regularization) and in inference mode; nodes the two
 * share are the same nodes, thanks to hash-consing. Autodiff adds the gradient nodes to
 * {@link #grads()}.
 */
public final class ModelIr {
    /** A feed: an input or a target. */
    public record Feed(String name, boolean target, Node node, Pos pos) {
    }

    public record Output(String name, Node node) {
    }

    /** An initializer: kind (xavier_uniform, constant, …) and its arguments in declaration order. */
    public record Init(String kind, double[] args) {
    }

    /**
     * weight: rank >= 2, regularized by l2; rank-1 parameters (biases) are not. outputsFirst: the
     * layout is [out, in, ...] (a convolution's [O, C, KH, KW], as in PyTorch) rather than a dense
     * layer's [in, out]; initializers read their fans from it.
     */
    public record Param(String name, Node node, Init init, boolean weight, Pos pos, boolean outputsFirst) {
        public Param(String name, Node node, Init init, boolean weight, Pos pos) {
            this(name, node, init, weight, pos, false);
        }

        /** {fan in, fan out} of the initializers that scale by them. */
        public int[] fans() {
            int[] d = node.shape().dims();
            if (d.length < 2) {
                int f = d.length == 1 ? d[0] : 1;
                return new int[] {f, f};
            }
            int receptive = 1;
            for (int i = 2; i < d.length; i++) receptive *= d[i];
            return outputsFirst ? new int[] {d[1] * receptive, d[0] * receptive}
                    : new int[] {d[0] * receptive, d[1] * receptive};
        }
    }

    /**
     * sgd(lr, momentum, nesterov) or adam(lr, beta1, beta2, eps); l2 is the regularization strength,
     * applied to weights by the update as the gradient λW of λ/2·‖W‖².
     */
    public record Optimizer(String kind, Map<String, Double> args, double l2) {
        public double arg(String k) {
            return args.get(k);
        }

        /** As written in .nn: {@code sgd(lr = 0.1, momentum = 0.9, nesterov = false)}. */
        public String describe() {
            StringBuilder sb = new StringBuilder(kind).append('(');
            args.forEach((k, v) -> {
                if (sb.charAt(sb.length() - 1) != '(') sb.append(", ");
                sb.append(k).append(" = ").append(k.equals("nesterov") ? Boolean.toString(v != 0)
                        : v == Math.rint(v) && Math.abs(v) < 1e9 ? Long.toString((long) (double) v) : Double.toString(v));
            });
            sb.append(')');
            if (l2 > 0) sb.append(", regularize l2(").append(l2).append(')');
            return sb.toString();
        }
    }

    private final String name;
    private final String sourceFile;
    private final Graph graph;
    private final List<Feed> feeds;
    private final List<Output> outputs;
    private final List<Param> params;
    private final Node inferenceLoss;
    private final Node trainingLoss;
    private final Optimizer optimizer;
    private final Map<Param, Node> grads = new LinkedHashMap<>();

    public ModelIr(String name, String sourceFile, Graph graph, List<Feed> feeds, List<Output> outputs,
            List<Param> params, Node inferenceLoss, Node trainingLoss, Optimizer optimizer) {
        this.name = name;
        this.sourceFile = sourceFile;
        this.graph = graph;
        this.feeds = List.copyOf(feeds);
        this.outputs = List.copyOf(outputs);
        this.params = List.copyOf(params);
        this.inferenceLoss = inferenceLoss;
        this.trainingLoss = trainingLoss;
        this.optimizer = optimizer;
    }

    public String name() {
        return name;
    }

    public String sourceFile() {
        return sourceFile;
    }

    public Graph graph() {
        return graph;
    }

    public List<Feed> feeds() {
        return feeds;
    }

    public List<Output> outputs() {
        return outputs;
    }

    public List<Param> params() {
        return params;
    }

    /** Data loss in inference mode, or null when the model has no loss. */
    public Node inferenceLoss() {
        return inferenceLoss;
    }

    /** Data loss in training mode (dropout active), or null when the model has no loss. */
    public Node trainingLoss() {
        return trainingLoss;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    /** Parameter → node holding d(trainingLoss)/d(parameter); filled by autodiff. */
    public Map<Param, Node> grads() {
        return grads;
    }

    /** This model over another graph: every node mapped through {@code map} (a pass's rebuild). */
    public ModelIr remap(Graph newGraph, java.util.function.UnaryOperator<Node> map) {
        List<Feed> fs = feeds.stream().map(f -> new Feed(f.name(), f.target(), map.apply(f.node()), f.pos())).toList();
        List<Output> os = outputs.stream().map(o -> new Output(o.name(), map.apply(o.node()))).toList();
        List<Param> ps = params.stream().map(p -> new Param(p.name(), map.apply(p.node()), p.init(), p.weight(), p.pos(),
                p.outputsFirst()))
                .toList();
        return new ModelIr(name, sourceFile, newGraph, fs, os, ps,
                inferenceLoss == null ? null : map.apply(inferenceLoss),
                trainingLoss == null ? null : map.apply(trainingLoss), optimizer);
    }

    public boolean trainable() {
        return trainingLoss != null;
    }
}
