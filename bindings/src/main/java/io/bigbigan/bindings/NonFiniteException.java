package io.bigbigan.bindings;

/** A loss, gradient or weight is NaN or infinite: the optimiser step was not taken, or the weights are refused. */
public final class NonFiniteException extends RuntimeException {
    public NonFiniteException(String message) {
        super(message);
    }
}
