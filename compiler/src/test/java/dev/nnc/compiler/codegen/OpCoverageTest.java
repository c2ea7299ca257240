package dev.nnc.compiler.codegen;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.ir.Op;
import dev.nnc.templates.Templates;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every op has every piece: a fusion family, a JVM template where its family needs one, and a
 * gradient rule (checked in autodiff.GradientRuleCoverageTest). See docs/adding-an-op.md.
 */
class OpCoverageTest {
    @Test
    void everyKernelOpHasATemplate() {
        Templates jvm = Templates.backend("jvm");
        List<String> missing = new ArrayList<>();
        for (Op op : Op.values()) {
            boolean ok = switch (op.family()) {
                case ELEMENTWISE, BROADCAST -> jvm.hasScalar(op.key());
                case ROWWISE -> jvm.hasSkeleton(op.key());
                case SOURCE -> op != Op.DROPOUT_MASK || jvm.hasScalar(op.key());
                case VIEW, REDUCTION, GEMM -> true; // emitted by LoopNest / runtime Gemm, no per-op text
            };
            if (!ok) missing.add(op.key());
        }
        assertTrue(missing.isEmpty(), "ops without a jvm template: " + missing);
    }
}
