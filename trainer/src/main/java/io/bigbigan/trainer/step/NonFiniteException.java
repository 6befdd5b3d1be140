package io.bigbigan.trainer.step;

/** A loss or gradient became NaN or infinite; the optimiser step was not taken. */
public final class NonFiniteException extends RuntimeException {
    public NonFiniteException(String message) {
        super(message);
    }
}
