package dev.nnc.compiler.ast;

/** A 1-based line and column in a .nn file. */
public record Pos(int line, int column) {
    public static final Pos NONE = new Pos(0, 0);

    @Override
    public String toString() {
        return line + ":" + column;
    }
}
