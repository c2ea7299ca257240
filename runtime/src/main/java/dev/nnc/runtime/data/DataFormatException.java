package dev.nnc.runtime.data;

import java.io.IOException;

/**
 * A data file that cannot be read because its content is malformed (bad magic number, wrong
 * dimensions, truncated, corrupt compression). The message names the file and what is wrong.
 *
 * <p>Not to be confused with {@link java.util.zip.DataFormatException}, which is not an
 * {@link IOException}.
 */
public class DataFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /** A format error described by {@code message} (which should name the file). */
    public DataFormatException(String message) {
        super(message);
    }

    /** A format error described by {@code message}, caused by {@code cause}. */
    public DataFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
