package dev.nnc.runtime;

import java.util.Arrays;

/**
 * Describes one named tensor of a compiled model: a feed (input or target), an output or a parameter.
 *
 * <p>{@code shape[0] == -1} marks the symbolic batch dimension {@code N} of feeds and outputs;
 * parameters have fully static shapes. {@code offset} is the parameter's start in the model's flat
 * parameter (and gradient) buffer; it is -1 for anything that is not a parameter.
 */
public record TensorInfo(String name, Role role, DType dtype, int[] shape, int offset) {

    public enum Role { INPUT, TARGET, OUTPUT, PARAM }

    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** True when the first dimension is the batch dimension. */
    public boolean batched() {
        return shape.length > 0 && shape[0] == -1;
    }

    /** Elements per batch row (product of all non-batch dimensions); the element count for parameters. */
    public int rowSize() {
        int size = 1;
        for (int i = batched() ? 1 : 0; i < shape.length; i++) {
            size *= shape[i];
        }
        return size;
    }

    /** Element count for a given batch size (ignores {@code batch} for unbatched tensors). */
    public int size(int batch) {
        return batched() ? batch * rowSize() : rowSize();
    }

    /** Shape as text, the batch dimension shown as N: {@code [N, 784]}. */
    public String shapeText() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) sb.append(", ");
            sb.append(shape[i] == -1 ? "N" : Integer.toString(shape[i]));
        }
        return sb.append(']').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && role == t.role && dtype == t.dtype
                && Arrays.equals(shape, t.shape) && offset == t.offset;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return role.name().toLowerCase() + " " + name + ": " + dtype.name().toLowerCase() + shapeText();
    }
}
