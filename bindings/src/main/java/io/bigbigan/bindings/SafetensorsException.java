package io.bigbigan.bindings;

/**
 * A safetensors file could not be read or written. The message starts with the file's path and says why, e.g.
 * {@code /runs/a/ckpt.safetensors: tensor 'fc.weight': data_offsets [0, 12] hold 12 bytes, but F32 [2, 2] needs 16}.
 */
public final class SafetensorsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SafetensorsException(String message) {
        super(message);
    }

    public SafetensorsException(String message, Throwable cause) {
        super(message, cause);
    }
}
