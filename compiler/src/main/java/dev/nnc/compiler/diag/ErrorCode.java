package dev.nnc.compiler.diag;

/**
 * Every diagnostic nnc can print: a stable id (documented in docs/errors.md), a severity and a
 * message template filled with {@link String#format}.
 */
public enum ErrorCode {
    SYNTAX("NNC001", "%s"),
    LEXER("NNC002", "unexpected character %s"),
    UNTERMINATED_COMMENT("NNC003", "unterminated comment: '/*' is never closed with '*/'"),
    EMPTY_FILE("NNC004", "empty program: expected at least one 'model' definition"),
    NAME_TOO_LONG("NNC005", "name of %d characters; names have at most %d"),
    UNDEFINED_NAME("NNC010", "undefined name '%s'"),
    DUPLICATE_NAME("NNC011", "duplicate name '%s' (first defined at line %d)"),
    UNKNOWN_OP("NNC012", "unknown operation '%s'%s"),
    UNKNOWN_ARGUMENT("NNC013", "'%s' has no argument named '%s' (expected one of: %s)"),
    MISSING_ARGUMENT("NNC014", "'%s' is missing argument '%s'"),
    ARGUMENT_COUNT("NNC015", "'%s' takes %s, got %d"),
    BAD_ARGUMENT("NNC016", "argument '%s' of '%s': %s"),
    NOT_FINITE("NNC017", "'%s' is not a finite number"),
    SHAPE_MISMATCH("NNC020", "shape mismatch in '%s': %s"),
    DTYPE_MISMATCH("NNC021", "'%s' needs a float tensor, got %s"),
    TOO_LARGE("NNC022", "%s has %s elements; at most 2147483647 fit in one Java array"),
    NO_LOSS("NNC030", "'optimizer' needs a 'loss' in model '%s'"),
    NO_OUTPUT("NNC031", "model '%s' has no 'output'"),
    RECURSION("NNC032", "block '%s' calls itself (%s)"),
    DUPLICATE_STATEMENT("NNC033", "model '%s' has more than one '%s'"),
    NO_MODEL("NNC034", "no 'model' definition in the file"),
    BAD_DECLARATION("NNC035", "%s"),
    UNSUPPORTED("NNC040", "%s");

    public enum Severity {
        ERROR("error"), WARNING("warning");

        private final String label;

        Severity(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private final String id;
    private final String template;

    ErrorCode(String id, String template) {
        this.id = id;
        this.template = template;
    }

    public String id() {
        return id;
    }

    public Severity severity() {
        return Severity.ERROR;
    }

    public String message(Object... args) {
        return String.format(template, args);
    }
}
