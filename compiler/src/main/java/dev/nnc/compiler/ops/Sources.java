package dev.nnc.compiler.ops;

import dev.nnc.compiler.ir.Attrs;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import java.util.List;

/** Values that come from outside the kernel schedule: feeds, parameters, literals, dropout masks. */
public final class Sources {
    private Sources() {
    }

    /** INPUT and PARAM: a declared tensor; its values come from the batch or the parameter buffer. */
    public static final class Declared extends OpDef {
        @Override
        public Op.Family family() {
            return Op.Family.SOURCE;
        }

        @Override
        public Class<Attrs.Declared> attrs() {
            return Attrs.Declared.class;
        }

        @Override
        public Shape shape(List<Node> inputs, Attrs a) {
            return ((Attrs.Declared) a).shape();
        }

        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return null; // the walk stops here: a parameter's gradient is what arrives
        }

        @Override
        public List<String> templateKeys() {
            return List.of();
        }

        @Override
        public long flops(Node n, int batch) {
            return 0;
        }

        @Override
        public double[] reference(Node n, double[][] in, Reference ctx) {
            return n.op() == Op.INPUT ? ctx.input(n) : ctx.param(n);
        }
    }

    /** CONST: a scalar literal, divided by the batch size when per-batch (the mean's 1/n). */
    public static final class Const extends OpDef {
        @Override
        public Op.Family family() {
            return Op.Family.SOURCE;
        }

        @Override
        public Class<Attrs.Const> attrs() {
            return Attrs.Const.class;
        }

        @Override
        public Shape shape(List<Node> inputs, Attrs a) {
            return Shape.SCALAR;
        }

        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return null;
        }

        @Override
        public List<String> templateKeys() {
            return List.of();
        }

        @Override
        public long flops(Node n, int batch) {
            return 0;
        }

        @Override
        public double[] reference(Node n, double[][] in, Reference ctx) {
            Attrs.Const c = n.attrs(Attrs.Const.class);
            return new double[] {c.perBatch() ? c.value() / ctx.batch() : c.value()};
        }
    }

    /** DROPOUT_MASK: 0 with probability rate, else 1/(1-rate); fresh every training step. */
    public static final class DropoutMask extends OpDef {
        @Override
        public Op.Family family() {
            return Op.Family.SOURCE;
        }

        @Override
        public Class<Attrs.Dropout> attrs() {
            return Attrs.Dropout.class;
        }

        @Override
        public Shape shape(List<Node> inputs, Attrs a) {
            return ((Attrs.Dropout) a).shape();
        }

        @Override
        public Node[] vjp(Graph b, Node y, Node g) {
            return null; // random, not a function of anything trainable
        }

        @Override
        public List<String> templateKeys() {
            return List.of("dropout_mask");
        }

        @Override
        public long flops(Node n, int batch) {
            return size(n.shape(), batch);
        }

        @Override
        public double[] reference(Node n, double[][] in, Reference ctx) {
            double rate = n.attrs(Attrs.Dropout.class).rate();
            double[] r = new double[Tensors.size(n.shape(), ctx.batch())];
            for (int i = 0; i < r.length; i++) r[i] = ctx.keep(n, i) ? 1 / (1 - rate) : 0;
            return r;
        }
    }
}
