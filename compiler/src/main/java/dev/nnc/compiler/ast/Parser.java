package dev.nnc.compiler.ast;

import dev.nnc.compiler.diag.Diagnostics;
import dev.nnc.compiler.diag.ErrorCode;
import dev.nnc.grammar.NNLexer;
import dev.nnc.grammar.NNParser;
import java.util.List;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;

/** Text to {@link Ast.Program}: lexing, parsing, and the lexical errors ANTLR does not report itself. */
public final class Parser {
    private Parser() {
    }

    /**
     * Longest name: names become Java identifiers, class and file names (a model's class file name
     * must fit a file system's 255 bytes with room for a suffix), and strings in class files.
     */
    public static final int MAX_NAME = 128;

    /** Parses the file; returns null when it has syntax errors (all of them are in {@code diags}). */
    public static Ast.Program parse(Diagnostics diags) {
        String text = diags.source().text();
        NNLexer lexer = new NNLexer(CharStreams.fromString(text, diags.source().name()));
        lexer.removeErrorListeners();
        CommonTokenStream tokens = new CommonTokenStream(lexer);
        tokens.fill();
        boolean lexicalError = false;
        boolean anyToken = false;
        for (Token t : tokens.getTokens()) {
            if (t.getType() == NNLexer.UNTERMINATED_COMMENT) {
                diags.error(ErrorCode.UNTERMINATED_COMMENT, pos(t));
                lexicalError = true;
            } else if (t.getType() == NNLexer.ERROR_CHAR) {
                diags.error(ErrorCode.LEXER, pos(t), describe(t.getText()));
                lexicalError = true;
            } else if (t.getType() == NNLexer.ID && t.getText().length() > MAX_NAME) {
                diags.error(ErrorCode.NAME_TOO_LONG, pos(t), t.getText().length(), MAX_NAME);
                lexicalError = true;
            } else if (t.getType() != Token.EOF) {
                anyToken = true;
            }
        }
        if (lexicalError) {
            return null;
        }
        if (!anyToken) {
            diags.error(ErrorCode.EMPTY_FILE, new Pos(1, 1));
            return null;
        }
        NNParser parser = new NNParser(tokens);
        parser.removeErrorListeners();
        int before = diags.errorCount();
        parser.addErrorListener(new BaseErrorListener() {
            @Override
            public void syntaxError(Recognizer<?, ?> recognizer, Object offending, int line, int col, String msg,
                    RecognitionException e) {
                diags.error(ErrorCode.SYNTAX, new Pos(line, col + 1), friendly(msg));
            }
        });
        NNParser.ProgramContext tree;
        try {
            tree = parser.program();
        } catch (StackOverflowError e) {
            diags.error(ErrorCode.SYNTAX, pos(parser.getCurrentToken()), tooDeep());
            return null;
        }
        if (diags.errorCount() > before) {
            return null;
        }
        try {
            return new AstBuilder(diags.source().name()).program(tree);
        } catch (AstBuilder.TooDeep e) {
            diags.error(ErrorCode.SYNTAX, e.pos, tooDeep());
        } catch (StackOverflowError e) {
            diags.error(ErrorCode.SYNTAX, new Pos(1, 1), tooDeep());
        }
        return null;
    }

    private static String tooDeep() {
        return "expression nested too deeply (more than " + AstBuilder.MAX_NESTING
                + " levels); split it into several statements";
    }

    private static Pos pos(Token t) {
        return new Pos(t.getLine(), t.getCharPositionInLine() + 1);
    }

    private static String describe(String ch) {
        int cp = ch.codePointAt(0);
        return cp < 32 || cp == 127 ? String.format("U+%04X", cp) : "'" + ch + "'";
    }

    /** ANTLR's messages, with its token names turned into what a user typed. */
    static String friendly(String msg) {
        String m = msg.replace("<EOF>", "end of file").replace("'\\n'", "end of line");
        for (String[] r : List.of(new String[] {"extraneous input", "unexpected"},
                new String[] {"mismatched input", "unexpected"},
                new String[] {"no viable alternative at input", "cannot parse"},
                new String[] {"missing ", "missing "})) {
            if (m.startsWith(r[0])) {
                m = r[1] + m.substring(r[0].length());
                break;
            }
        }
        return m.replace("NUMBER", "a number").replace("ID", "a name");
    }
}
