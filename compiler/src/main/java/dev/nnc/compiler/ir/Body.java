package dev.nnc.compiler.ir;

import java.util.List;

/**
 * The body of a recurrence ({@code LOOP}, {@code LOOP_GRAD}): one step as ordinary IR in a graph
 * of its own. Its INPUT nodes are placeholders: {@code xs} for the step's slices of the sequence
 * inputs, {@code states} for the carried values of the previous step, {@code invariants} for
 * values every step reads (weights). {@code next} computes the carried values of this step (one per
 * state, same shapes); {@code ys} the step's outputs, stacked along axis 1 over the steps.
 *
 * @param steps the number of steps, T
 */
public record Body(Graph graph, List<Node> xs, List<Node> states, List<Node> invariants, List<Node> next,
        List<Node> ys, int steps) {
    public Body {
        xs = List.copyOf(xs);
        states = List.copyOf(states);
        invariants = List.copyOf(invariants);
        next = List.copyOf(next);
        ys = List.copyOf(ys);
        for (int i = 0; i < states.size(); i++) {
            if (!states.get(i).shape().equals(next.get(i).shape())) {
                throw new ShapeException("loop state " + i + " is " + states.get(i).shape() + " but the step computes "
                        + next.get(i).shape());
            }
        }
    }

    /** [N, T, rest...] of a per-step value [N, rest...]. */
    public Shape stacked(Shape step) {
        int[] d = step.dims();
        int[] out = new int[d.length + 1];
        out[0] = d[0];
        out[1] = steps;
        System.arraycopy(d, 1, out, 2, d.length - 1);
        return new Shape(out);
    }

    /** [N, rest...] of a sequence [N, T, rest...]. */
    public static Shape step(Shape sequence) {
        int[] d = sequence.dims();
        int[] out = new int[d.length - 1];
        out[0] = d[0];
        System.arraycopy(d, 2, out, 1, d.length - 2);
        return new Shape(out);
    }

    @Override
    public boolean equals(Object o) {
        return this == o; // every loop is its own
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }

    @Override
    public String toString() {
        return "T=" + steps + ", " + graph.nodes().size() + " body nodes";
    }
}
