package dev.nnc.compiler.diag;

/**
 * One message about a .nn program, positioned at a 1-based line and column.
 * Formats as {@code file:line:col: error: message [NNC012]}, then the source line and a caret.
 */
public record Diagnostic(ErrorCode code, String file, int line, int column, String message, String sourceLine) {

    public boolean isError() {
        return code.severity() == ErrorCode.Severity.ERROR;
    }

    public String format() {
        StringBuilder sb = new StringBuilder();
        sb.append(file).append(':').append(line).append(':').append(column).append(": ")
                .append(code.severity().label()).append(": ").append(message)
                .append(" [").append(code.id()).append(']');
        if (sourceLine != null && line > 0) {
            sb.append('\n').append(sourceLine).append('\n');
            for (int i = 1; i < column; i++) {
                sb.append(i - 1 < sourceLine.length() && sourceLine.charAt(i - 1) == '\t' ? '\t' : ' ');
            }
            sb.append('^');
        }
        return sb.toString();
    }
}
