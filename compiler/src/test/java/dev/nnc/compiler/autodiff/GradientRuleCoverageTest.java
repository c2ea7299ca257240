package dev.nnc.compiler.autodiff;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.ir.Op;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GradientRuleCoverageTest {
    @Test
    void everyOpHasAGradientRuleOrIsDeclaredConstant() {
        List<String> missing = new ArrayList<>();
        for (Op op : Op.values()) {
            if (!Gradients.RULES.containsKey(op) && !Gradients.NO_GRADIENT.contains(op)) missing.add(op.key());
            if (Gradients.RULES.containsKey(op) && Gradients.NO_GRADIENT.contains(op)) missing.add(op.key() + " (both)");
        }
        assertTrue(missing.isEmpty(), "ops without a vector-Jacobian rule: " + missing);
    }
}
