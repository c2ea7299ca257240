package dev.nnc.compiler.ops;

import dev.nnc.compiler.ir.Attrs;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import dev.nnc.compiler.ir.ShapeException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Reductions: they accumulate into their output inside the loop nest of the kernel that feeds them. */
public final class Reductions {
    private Reductions() {
    }

    /** Sum over a set of axes, which are removed from the shape. */
    public static final class Sum extends OpDef {
        @Override
        public Op.Family family() {
            return Op.Family.REDUCTION;
        }

        @Override
        public Class<Attrs.Axes> attrs() {
            return Attrs.Axes.class;
        }

        @Override
        public Shape shape(List<Node> inputs, Attrs a) {
            int[] dims = inputs.getFirst().shape().dims();
            int[] axes = ((Attrs.Axes) a).axes();
            for (int i = 0; i < axes.length; i++) {
                if (axes[i] < 0 || axes[i] >= dims.length || i > 0 && axes[i] <= axes[i - 1]) {
                    throw new ShapeException("sum axes " + Arrays.toString(axes) + " of a rank-" + dims.length + " tensor");
                }
            }
            List<Integer> keep = new ArrayList<>();
            for (int i = 0; i < dims.length; i++) {
                if (Arrays.binarySearch(axes, i) < 0) keep.add(dims[i]);
            }
            return new Shape(keep.stream().mapToInt(Integer::intValue).toArray());
        }

        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            // g with the reduced axes put back as size 1, broadcast to x's shape
            Shape x = y.input(0).shape();
            int[] keep = x.dims();
            for (int a : y.attrs(Attrs.Axes.class).axes()) keep[a] = 1;
            return new Node[] {b.broadcastTo(b.reshape(g, new Shape(keep)), x)};
        }

        @Override
        public List<String> templateKeys() {
            return List.of(); // an accumulation in the loop nest
        }

        @Override
        public long flops(Node n, int batch) {
            return size(n.input(0).shape(), batch);
        }

        @Override
        public double[] reference(Node n, double[][] in, Reference ctx) {
            int[] dims = Tensors.dims(n.input(0).shape(), ctx.batch());
            int[] axes = n.attrs(Attrs.Axes.class).axes();
            double[] out = new double[Tensors.size(n.shape(), ctx.batch())];
            int[] outDims = Tensors.dims(n.shape(), ctx.batch());
            int[] outStrides = Tensors.strides(outDims);
            int[] idx = new int[dims.length];
            for (double v : in[0]) {
                int o = 0;
                int k = 0;
                for (int d = 0; d < dims.length; d++) {
                    if (Arrays.binarySearch(axes, d) < 0) o += idx[d] * outStrides[k++];
                }
                out[o] += v;
                for (int d = dims.length - 1; d >= 0; d--) {
                    if (++idx[d] < dims[d]) break;
                    idx[d] = 0;
                }
            }
            return out;
        }
    }
}
