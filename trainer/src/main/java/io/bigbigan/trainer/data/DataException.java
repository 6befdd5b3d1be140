package io.bigbigan.trainer.data;

/**
 * A data set cannot be opened or read: a missing or malformed file, an unknown data set name, inconsistent contents.
 * The message starts with the offending file path (or data set spec) and says what is wrong.
 */
public class DataException extends RuntimeException {
    /** An error described by {@code message}. */
    public DataException(String message) {
        super(message);
    }

    /** An error described by {@code message}, caused by {@code cause} (typically an {@link java.io.IOException}). */
    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
