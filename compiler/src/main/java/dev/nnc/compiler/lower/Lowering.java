package dev.nnc.compiler.lower;

import dev.nnc.compiler.ast.Ast;
import dev.nnc.compiler.diag.Diagnostics;
import dev.nnc.compiler.diag.ErrorCode;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.ModelIr;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Shape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Resolves names, checks shapes and lowers each model to IR. A model is lowered twice into one
 * graph, once for training and once for inference; diagnostics are collected, never thrown.
 */
public final class Lowering {
    private final Diagnostics diags;
    private final Map<String, Ast.Block> blocks = new LinkedHashMap<>();

    private Lowering(Diagnostics diags) {
        this.diags = diags;
    }

    /** Lowers every model of the program; returns an empty list when there are errors. */
    public static List<ModelIr> lower(Ast.Program program, Diagnostics diags) {
        return new Lowering(diags).run(program);
    }

    private List<ModelIr> run(Ast.Program program) {
        Map<String, Ast.Definition> seen = new HashMap<>();
        List<Ast.Model> models = new ArrayList<>();
        for (Ast.Definition d : program.definitions()) {
            Ast.Definition first = seen.putIfAbsent(d.name(), d);
            if (first != null) {
                diags.error(ErrorCode.DUPLICATE_NAME, d.pos(), d.name(), first.pos().line());
                continue;
            }
            if (d instanceof Ast.Block b) {
                Map<String, Ast.Ident> params = new HashMap<>();
                for (Ast.Ident p : b.params()) {
                    Ast.Ident firstParam = params.putIfAbsent(p.name(), p);
                    if (firstParam != null) {
                        diags.error(ErrorCode.DUPLICATE_NAME, p.pos(), p.name(), firstParam.pos().line());
                    }
                }
                if (Builtins.isBuiltin(b.name())) {
                    diags.error(ErrorCode.BAD_DECLARATION, b.pos(),
                            "block '" + b.name() + "' has the name of a built-in operation; choose another name");
                }
                blocks.put(b.name(), b);
            } else {
                models.add((Ast.Model) d);
            }
        }
        if (models.isEmpty()) {
            diags.error(ErrorCode.NO_MODEL, program.definitions().getFirst().pos());
        }
        checkRecursion();
        if (diags.hasErrors()) return List.of();
        List<ModelIr> result = new ArrayList<>();
        for (Ast.Model m : models) {
            ModelIr ir = lowerModel(program.file(), m);
            if (ir != null) result.add(ir);
        }
        return diags.hasErrors() ? List.of() : result;
    }

    // ---- recursion between blocks ----

    private void checkRecursion() {
        Map<String, Integer> state = new HashMap<>(); // 1 = on stack, 2 = done
        for (String b : blocks.keySet()) {
            visit(b, new ArrayList<>(), state);
        }
    }

    private void visit(String block, List<String> path, Map<String, Integer> state) {
        Integer s = state.get(block);
        if (s != null && s == 2) return;
        path.add(block);
        state.put(block, 1);
        for (Ast.Call call : calls(blocks.get(block))) {
            String callee = call.fn().name();
            if (!blocks.containsKey(callee)) continue;
            if (Integer.valueOf(1).equals(state.get(callee))) {
                List<String> cycle = new ArrayList<>(path.subList(path.indexOf(callee), path.size()));
                cycle.add(callee);
                diags.error(ErrorCode.RECURSION, call.fn().pos(), callee, String.join(" -> ", cycle));
            } else {
                visit(callee, path, state);
            }
        }
        path.removeLast();
        state.put(block, 2);
    }

    private static List<Ast.Call> calls(Ast.Block b) {
        List<Ast.Call> out = new ArrayList<>();
        for (Ast.Stmt s : b.body()) {
            switch (s) {
                case Ast.Assign a -> collectCalls(a.value(), out);
                case Ast.Return r -> collectCalls(r.value(), out);
                case Ast.Param p -> {
                    if (p.init() != null) collectCalls(p.init(), out);
                }
                default -> {
                }
            }
        }
        return out;
    }

    private static void collectCalls(Ast.Expr e, List<Ast.Call> out) {
        switch (e) {
            case Ast.Call c -> {
                out.add(c);
                c.args().forEach(a -> collectCalls(a.value(), out));
            }
            case Ast.Binary b -> {
                collectCalls(b.left(), out);
                collectCalls(b.right(), out);
            }
            case Ast.Negate n -> collectCalls(n.operand(), out);
            case Ast.ListLit l -> l.items().forEach(i -> collectCalls(i, out));
            default -> {
            }
        }
    }

    // ---- models ----

    private ModelIr lowerModel(String file, Ast.Model model) {
        Graph graph = new Graph();
        int before = diags.errorCount();
        ModelLowering train = new ModelLowering(this, graph, model, true);
        ModelLowering infer = new ModelLowering(this, graph, model, false);
        try {
            train.lowerBody();
            if (diags.errorCount() > before) return null;
            infer.lowerBody();
        } catch (StackOverflowError e) {
            // expressions are limited by the parser; this is block calls nested in deep expressions
            diags.error(ErrorCode.UNSUPPORTED, model.pos(), "model '" + model.name()
                    + "' nests block calls and expressions too deeply to compile; split them into several statements");
            return null;
        }
        if (diags.errorCount() > before) return null;
        return new ModelIr(model.name(), file, graph, infer.feeds, infer.outputs, train.paramList(), infer.loss,
                train.trainingLoss(), train.optimizer());
    }

    Diagnostics diags() {
        return diags;
    }

    Ast.Block block(String name) {
        return blocks.get(name);
    }


    static boolean isFloat(Node n) {
        return n.type() == Node.Type.FLOAT;
    }

    static Shape shapeOf(Ast.TensorType t) {
        int[] dims = new int[t.dims().size()];
        for (int i = 0; i < dims.length; i++) {
            Ast.Dim d = t.dims().get(i);
            dims[i] = d.symbolic() ? Shape.BATCH : d.size();
        }
        return new Shape(dims);
    }

}
