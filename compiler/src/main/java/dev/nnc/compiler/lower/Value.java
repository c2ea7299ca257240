package dev.nnc.compiler.lower;

import dev.nnc.compiler.ir.ModelIr;
import dev.nnc.compiler.ir.Node;
import java.util.List;

/** What a .nn expression evaluates to during lowering. */
sealed interface Value {
    record Tensor(Node node) implements Value {
    }

    record Num(double value, boolean integral) implements Value {
    }

    record Bool(boolean value) implements Value {
    }

    record Str(String value) implements Value {
    }

    record ListV(List<Value> items) implements Value {
    }

    record InitV(ModelIr.Init init) implements Value {
    }

    /** The result of an expression that already produced a diagnostic: suppresses follow-on errors. */
    record Error() implements Value {
    }

    Error ERROR = new Error();

    static String describe(Value v) {
        return switch (v) {
            case Tensor t -> (t.node().type() == Node.Type.INT ? "i32" : "float") + " tensor " + t.node().shape();
            case Num n -> "number " + (n.integral() ? Long.toString((long) n.value()) : Double.toString(n.value()));
            case Bool b -> "boolean " + b.value();
            case Str s -> "string \"" + s.value() + "\"";
            case ListV l -> "list of " + l.items().size();
            case InitV i -> "initializer " + i.init().kind();
            case Error e -> "error";
        };
    }
}
