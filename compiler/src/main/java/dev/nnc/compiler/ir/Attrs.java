package dev.nnc.compiler.ir;

import java.util.Arrays;

/**
 * The attributes of a node, one record type per kind of op ({@link dev.nnc.compiler.ops.OpDef#attrs()}
 * names which one an op carries; the graph builder refuses any other). Records compare by value,
 * arrays included, so hash-consing sees equal attributes as equal.
 */
public sealed interface Attrs {

    /** Ops without attributes. */
    record None() implements Attrs {
        @Override
        public String toString() {
            return "";
        }
    }

    None NONE = new None();

    /** INPUT and PARAM: the .nn name and the declared shape. */
    record Declared(String name, Shape shape) implements Attrs {
        @Override
        public String toString() {
            return name;
        }
    }

    /** CONST: a scalar literal; with {@code perBatch} it is divided by the runtime batch size n. */
    record Const(double value, boolean perBatch) implements Attrs {
        @Override
        public String toString() {
            return perBatch ? value + "/n" : Double.toString(value);
        }
    }

    /** DROPOUT_MASK: the rate of dropped elements, the mask's id (one stream of random bits each), its shape. */
    record Dropout(double rate, String id, Shape shape) implements Attrs {
        @Override
        public String toString() {
            return "rate=" + rate;
        }
    }

    /** Elementwise ops with one real parameter: leaky_relu's alpha, clamp_prob's eps. */
    record Scalar(double value) implements Attrs {
        @Override
        public String toString() {
            return "alpha=" + value;
        }
    }

    /** SUM: the reduced axes, ascending and distinct. */
    record Axes(int[] axes) implements Attrs {
        public Axes {
            axes = axes.clone();
        }

        @Override
        public int[] axes() {
            return axes.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Axes a && Arrays.equals(axes, a.axes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(axes);
        }

        @Override
        public String toString() {
            return "axes=" + Arrays.toString(axes);
        }
    }

    /** BROADCAST and RESHAPE: the target shape. */
    record Dims(Shape shape) implements Attrs {
        @Override
        public String toString() {
            return shape.toString();
        }
    }

    /** MATMUL: whether each operand is read transposed. */
    record Matmul(boolean transA, boolean transB) implements Attrs {
        @Override
        public String toString() {
            return (transA ? "Aᵀ" : "A") + "·" + (transB ? "Bᵀ" : "B");
        }
    }
}
