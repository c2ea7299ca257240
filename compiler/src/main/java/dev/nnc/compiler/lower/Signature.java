package dev.nnc.compiler.lower;

import dev.nnc.compiler.ast.Ast;
import dev.nnc.compiler.ast.Pos;
import dev.nnc.compiler.diag.Diagnostics;
import dev.nnc.compiler.diag.ErrorCode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Parameter list of a built-in or a block: names in order, which are required, and defaults.
 * Binds a call's positional and named arguments, reporting unknown, missing, repeated and surplus ones.
 */
record Signature(String fn, List<String> names, int required, Map<String, Object> defaults) {

    /** {@code of("dense", "x", "units", "init?", "bias?")}: names ending in '?' are optional. */
    static Signature of(String fn, String... params) {
        List<String> names = new ArrayList<>();
        int required = 0;
        for (String p : params) {
            boolean optional = p.endsWith("?");
            names.add(optional ? p.substring(0, p.length() - 1) : p);
            if (!optional) {
                if (required != names.size() - 1) throw new IllegalArgumentException("required after optional in " + fn);
                required++;
            }
        }
        return new Signature(fn, names, required, Map.of());
    }

    /** Binds arguments to parameter names, or returns null after reporting what is wrong. */
    Map<String, Ast.Arg> bind(Ast.Call call, Diagnostics diags) {
        Map<String, Ast.Arg> bound = new LinkedHashMap<>();
        int positional = 0;
        boolean ok = true;
        for (Ast.Arg a : call.args()) {
            if (a.name() == null) {
                if (positional >= names.size()) {
                    diags.error(ErrorCode.ARGUMENT_COUNT, a.pos(), fn, takes(), countPositional(call));
                    return null;
                }
                bound.put(names.get(positional++), a);
            } else if (!names.contains(a.name())) {
                diags.error(ErrorCode.UNKNOWN_ARGUMENT, a.pos(), fn, a.name(),
                        names.stream().collect(Collectors.joining(", ")));
                ok = false;
            } else if (bound.containsKey(a.name())) {
                diags.error(ErrorCode.BAD_ARGUMENT, a.pos(), a.name(), fn, "given more than once");
                ok = false;
            } else {
                bound.put(a.name(), a);
            }
        }
        for (int i = 0; i < required; i++) {
            if (!bound.containsKey(names.get(i))) {
                Pos p = call.fn().pos();
                if (countPositional(call) < required && call.args().stream().allMatch(x -> x.name() == null)) {
                    diags.error(ErrorCode.ARGUMENT_COUNT, p, fn, takes(), countPositional(call));
                } else {
                    diags.error(ErrorCode.MISSING_ARGUMENT, p, fn, names.get(i));
                }
                return null;
            }
        }
        return ok ? bound : null;
    }

    private static int countPositional(Ast.Call call) {
        return (int) call.args().stream().filter(a -> a.name() == null).count();
    }

    private String takes() {
        String list = String.join(", ", names);
        if (required == names.size()) {
            return required + (required == 1 ? " argument" : " arguments") + " (" + list + ")";
        }
        return required + " to " + names.size() + " arguments (" + list + ")";
    }

    @Override
    public String toString() {
        return fn + Arrays.toString(names.toArray());
    }
}
