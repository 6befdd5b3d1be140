package io.bigbigan.trainer.config;

/**
 * A command-line option's value is out of its range or not one of its choices (e.g. {@code --steps 0},
 * {@code --image-size 5000}); the message names the option. The CLI exits with status 2 (usage error) for it, as for
 * options it cannot parse, and with 1 for everything else (missing files, data that does not fit a checkpoint).
 */
public class OptionException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public OptionException(String message) {
        super(message);
    }

    public OptionException(String message, Throwable cause) {
        super(message, cause);
    }
}
