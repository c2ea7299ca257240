package dev.nnc.compiler.ops;

import dev.nnc.compiler.ir.Attrs;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import dev.nnc.compiler.ir.ShapeException;
import java.util.List;

/** Contractions: products that run through the runtime's packed GEMM. */
public final class Contractions {
    private Contractions() {
    }

    /** 2-D matrix product C = op(A)·op(B), op transposing an operand when its flag is set. */
    public static final class Matmul extends OpDef {
        @Override
        public Op.Family family() {
            return Op.Family.GEMM;
        }

        @Override
        public Class<Attrs.Matmul> attrs() {
            return Attrs.Matmul.class;
        }

        @Override
        public Shape shape(List<Node> inputs, Attrs attrs) {
            Attrs.Matmul t = (Attrs.Matmul) attrs;
            Shape a = inputs.get(0).shape();
            Shape b = inputs.get(1).shape();
            if (a.rank() != 2 || b.rank() != 2) {
                throw new ShapeException("'@' needs two 2-D operands, got " + a + " and " + b);
            }
            int m = t.transA() ? a.dim(1) : a.dim(0);
            int ka = t.transA() ? a.dim(0) : a.dim(1);
            int kb = t.transB() ? b.dim(1) : b.dim(0);
            int n = t.transB() ? b.dim(0) : b.dim(1);
            if (ka != kb) {
                throw new ShapeException("inner dimensions differ: " + a + " @ " + b + " (" + dimText(ka) + " vs "
                        + dimText(kb) + ")");
            }
            Shape out = Shape.of(m, n);
            Graph.checkBatchFirst(out, "'@'");
            return out;
        }

        private static String dimText(int d) {
            return d == Shape.BATCH ? "N" : Integer.toString(d);
        }

        /**
         * For plain A·B: dA = g·Bᵀ, dB = Aᵀ·g; the transposed variants follow by transposing both
         * sides, so no explicit transpose op is ever built.
         */
        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            Node a = y.input(0);
            Node c = y.input(1);
            Attrs.Matmul t = y.attrs(Attrs.Matmul.class);
            Node da = t.transA() ? b.matmul(c, g, t.transB(), true) : b.matmul(g, c, false, !t.transB());
            Node db = t.transB() ? b.matmul(g, a, true, t.transA()) : b.matmul(a, g, !t.transA(), false);
            return new Node[] {da, db};
        }

        @Override
        public List<String> templateKeys() {
            return List.of(); // a call of the runtime's Gemm
        }

        @Override
        public long flops(Node n, int batch) {
            Node a = n.input(0);
            int[] ad = Tensors.dims(a.shape(), batch);
            long k = n.attrs(Attrs.Matmul.class).transA() ? ad[0] : ad[1];
            int[] cd = Tensors.dims(n.shape(), batch);
            return 2L * cd[0] * cd[1] * k;
        }

        @Override
        public double[] reference(Node n, double[][] in, Reference ctx) {
            Attrs.Matmul t = n.attrs(Attrs.Matmul.class);
            int[] ad = Tensors.dims(n.input(0).shape(), ctx.batch());
            int[] bd = Tensors.dims(n.input(1).shape(), ctx.batch());
            int[] cd = Tensors.dims(n.shape(), ctx.batch());
            int k = t.transA() ? ad[0] : ad[1];
            double[] c = new double[cd[0] * cd[1]];
            for (int i = 0; i < cd[0]; i++) {
                for (int j = 0; j < cd[1]; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        double av = t.transA() ? in[0][p * ad[1] + i] : in[0][i * ad[1] + p];
                        double bv = t.transB() ? in[1][j * bd[1] + p] : in[1][p * bd[1] + j];
                        s += av * bv;
                    }
                    c[i * cd[1] + j] = s;
                }
            }
            return c;
        }
    }
}
