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

    /**
     * CONV2D: stride, zero padding (before, after) and dilation per spatial axis. The kernel size
     * comes from the weight's shape.
     */
    record Conv(int strideH, int strideW, int padTop, int padBottom, int padLeft, int padRight, int dilationH,
            int dilationW) implements Attrs {
        /** Output size along one axis: {@code (in + pads - dilation·(k-1) - 1) / stride + 1}, or ≤ 0 when nothing fits. */
        public static int out(int in, int k, int stride, int padBefore, int padAfter, int dilation) {
            long span = (long) dilation * (k - 1) + 1;
            long room = (long) in + padBefore + padAfter - span;
            return room < 0 ? 0 : (int) (room / stride + 1);
        }

        @Override
        public String toString() {
            return "stride=" + strideH + "x" + strideW + ", pad=" + padTop + "," + padBottom + "," + padLeft + ","
                    + padRight + ", dilation=" + dilationH + "x" + dilationW;
        }
    }

    /**
     * The gradients of CONV2D: its attributes and the shape of the tensor the gradient is for
     * (the input's [N, C, H, W] for CONV2D_INPUT_GRAD, the weight's [O, C, KH, KW] for
     * CONV2D_WEIGHT_GRAD), which the output size alone does not determine.
     */
    record ConvGrad(Conv conv, Shape shape) implements Attrs {
        @Override
        public String toString() {
            return conv + ", of " + shape;
        }
    }

    /** MAX_POOL and AVG_POOL: window, stride and padding (the same before and after) per spatial axis. */
    record Pool(int sizeH, int sizeW, int strideH, int strideW, int padH, int padW) implements Attrs {
        @Override
        public String toString() {
            return "size=" + sizeH + "x" + sizeW + ", stride=" + strideH + "x" + strideW + ", pad=" + padH + "x" + padW;
        }
    }

    /** The gradients of the pools: the pool and the shape of its input. */
    record PoolGrad(Pool pool, Shape shape) implements Attrs {
        @Override
        public String toString() {
            return pool + ", of " + shape;
        }
    }

    /**
     * LOOP: a recurrence over axis 1 of its sequence inputs. Inputs: the sequences [N, T, ...],
     * then the initial states, then the invariants, as the body lists them. Its value is the
     * body's first step output stacked: [N, T, ...].
     */
    record Loop(Body body) implements Attrs {
        @Override
        public String toString() {
            return body.toString();
        }
    }

    /**
     * LOOP_GRAD: backpropagation through time of a LOOP, one reverse loop. Inputs: the forward
     * loop's sequences, its stacked output Y and the gradient G of Y, then its initial states and
     * invariants. {@code backward} is one reverse step (built by autodiff from {@code forward}):
     * per-step inputs the sequences' slices, Y at t-1 (the first initial state at t = 0) and G at t;
     * carried the gradient of the states and the sums of the invariants' gradients; per-step
     * outputs the sequences' gradients. {@code outputs} are the shapes of its results: the
     * sequences' gradients, the initial states', the invariants' ({@code LOOP_OUT} selects each).
     */
    record LoopGrad(Body forward, Body backward, java.util.List<Shape> outputs) implements Attrs {
        @Override
        public String toString() {
            return "BPTT of " + forward;
        }
    }

    /** LOOP_OUT: result {@code index} of a LOOP_GRAD (index 0 is the LOOP_GRAD's own value). */
    record Part(int index) implements Attrs {
        @Override
        public String toString() {
            return "#" + index;
        }
    }

    /** TAKE_STEP: step {@code t} of a sequence [N, T, ...]; PUT_STEP: a step placed at {@code t} of zeros. */
    record Step(int t, int steps) implements Attrs {
        @Override
        public String toString() {
            return "t=" + t + " of " + steps;
        }
    }
}
