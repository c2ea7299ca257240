package dev.nnc.compiler.emit;

import com.palantir.javapoet.CodeBlock;

/**
 * The one way {@code .nn} text (source lines, names, the file name) enters generated Java as
 * text: comments, Javadoc and string literals. A {@code .nn} file is untrusted input, and javac
 * reads more into a comment than its reader does: it translates {@code \}{@code u000a} escapes
 * before lexing, inside comments too, and ends a {@code //} comment at a carriage return. Every
 * method here returns text that cannot leave the context it is written into:
 * <ul>
 *   <li>only printable ASCII survives ({@code ' '} to {@code '~'}); a tab becomes a space and
 *       every other character (all line terminators, {@code \r}, U+0085, U+2028, U+2029, form
 *       feed, other controls, bidirectional overrides, every non-ASCII character) becomes
 *       {@code ?}, so the generated file is ASCII whatever encoding javac reads it with;</li>
 *   <li>every backslash is doubled, so no {@code \}{@code u} in the result starts a unicode
 *       escape (javac translates a backslash only when an even number of backslashes precede
 *       it);</li>
 *   <li>{@code *}{@code /} never appears (it would end a block comment or Javadoc);</li>
 *   <li>in Javadoc, HTML and tag characters ({@code & < > { }}) are written as entities, or the
 *       text sits in a {@code {@code}} tag whose braces balance;</li>
 *   <li>string literals are escaped as Java string literals.</li>
 * </ul>
 * None of it contains {@code $} formats: pass the results as {@code $L} arguments, never as a
 * JavaPoet format string. JavaPoet wraps lines only at {@code $W}, which no argument can carry,
 * so a comment line is never wrapped.
 */
public final class JavaText {
    private JavaText() {
    }

    /** Printable ASCII: a tab becomes a space, every other character outside {@code ' '..'~'} a {@code ?}. */
    public static String ascii(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\t') {
                sb.append(' ');
            } else if (c >= ' ' && c <= '~') {
                sb.append(c);
            } else {
                if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++; // one code point, one '?'
                }
                sb.append('?');
            }
        }
        return sb.toString();
    }

    /**
     * Text for a {@code //} comment, a block comment or a Javadoc paragraph that is not HTML
     * ({@code ascii}, backslashes doubled, {@code * /} split).
     */
    public static String comment(String s) {
        String a = ascii(s).replace("\\", "\\\\");
        // "*/" ends a block comment; "**/" and "*//" contain it too, so split every occurrence
        while (a.contains("*/")) a = a.replace("*/", "* /");
        return a;
    }

    /**
     * Text for Javadoc: {@link #comment}, then {@code & < > { }} as HTML entities, and the
     * {@code /} of a {@code * /} too. ({@code @} needs none: it starts a tag only at the start of
     * a line or after a brace.)
     */
    public static String javadoc(String s) {
        String a = ascii(s).replace("\\", "\\\\");
        StringBuilder sb = new StringBuilder(a.length());
        for (int i = 0; i < a.length(); i++) {
            char c = a.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '{' -> sb.append("&#123;");
                case '}' -> sb.append("&#125;");
                case '/' -> sb.append(i > 0 && a.charAt(i - 1) == '*' ? "&#47;" : "/");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    /**
     * Source text in Javadoc, monospace: {@code {@code …}} around {@link #comment} text when its
     * braces balance (the tag ends at the first unbalanced one; inside it nothing else is
     * special, so {@code x |> relu} stays readable in the generated source), else
     * {@code <code>…</code>} around {@link #javadoc} text.
     */
    public static String javadocCode(String s) {
        String c = comment(s);
        int depth = 0;
        for (int i = 0; i < c.length() && depth >= 0; i++) {
            if (c.charAt(i) == '{') depth++;
            if (c.charAt(i) == '}') depth--;
        }
        if (depth == 0 && !c.endsWith("\\")) return "{@code " + c + "}";
        return "<code>" + javadoc(s) + "</code>";
    }

    /**
     * A Java string literal of {@code s}, quotes included: {@code ascii} first (names are ASCII
     * already; a file name may not be), then {@code \ "} escaped by JavaPoet's {@code $S}.
     */
    public static CodeBlock literal(String s) {
        return CodeBlock.of("$S", ascii(s));
    }

    /**
     * True when {@code code} (a whole generated file) keeps the promises above: printable ASCII
     * and newlines only, and no backslash that javac would read as the start of a unicode
     * escape. Tests check every generated file with it.
     */
    public static boolean isSafeSource(String code) {
        int backslashes = 0;
        for (int i = 0; i < code.length(); i++) {
            char c = code.charAt(i);
            if (c != '\n' && (c < ' ' || c > '~')) return false;
            if (c == 'u' && backslashes % 2 == 1) return false;
            backslashes = c == '\\' ? backslashes + 1 : 0;
        }
        return true;
    }
}
