package dev.nnc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void parsesValues() throws Json.SyntaxError {
        Object v = Json.parse(" {\"a\" : [1, -2, 3.5, 1e3, true, false, null, \"x\\ty\\u00e9\\\"\"], \"b\": {}} ");
        Map<?, ?> m = (Map<?, ?>) v;
        List<?> a = (List<?>) m.get("a");
        assertEquals(1L, a.get(0));
        assertEquals(-2L, a.get(1));
        assertEquals(3.5, a.get(2));
        assertEquals(1000.0, a.get(3));
        assertEquals(Boolean.TRUE, a.get(4));
        assertEquals(Boolean.FALSE, a.get(5));
        assertEquals(Json.NULL, a.get(6));
        assertEquals("x\ty\u00e9\"", a.get(7));
        assertEquals(Map.of(), m.get("b"));
        assertEquals(List.of(), Json.parse("[]"));
    }

    @Test
    void quoteRoundTrips() throws Json.SyntaxError {
        String s = "a\"b\\c\nd\u0001é";
        assertEquals(s, Json.parse(Json.quote(s)));
    }

    @Test
    void rejectsMalformedText() {
        String[] bad = {"", "{", "[1,]", "{\"a\" 1}", "{a:1}", "01", "1.", "-", "\"abc", "tru", "[1] 2", "\"\\x\"",
            "99999999999999999999", "\"a\nb\"", "{\"a\":1,}", "[".repeat(100)};
        for (String text : bad) {
            Json.SyntaxError e = assertThrows(Json.SyntaxError.class, () -> Json.parse(text), text);
            assertTrue(e.getMessage().contains(" at character "), e.getMessage());
        }
    }
}
