package io.bigbigan.trainer.distributed;

/** A collective with the other ranks failed: a peer process died, or did not answer within the timeout. */
public final class ReplicaFailure extends RuntimeException {
    public ReplicaFailure(String message, Throwable cause) {
        super(message, cause);
    }

    /** The failure of {@code what} on {@code rank} of {@code size}, with the first line of the engine's message. */
    static ReplicaFailure of(int rank, int size, String what, Throwable cause) {
        String m = cause.getMessage() == null ? cause.toString() : cause.getMessage().lines().findFirst().orElse("");
        return new ReplicaFailure("rank " + rank + " of " + size + ": " + what + " failed, a peer rank died or did not"
                + " answer within the timeout (" + m.strip() + "); stopping", cause);
    }

    /** This failure with {@code note} appended (e.g. which checkpoint the run can continue from). */
    public ReplicaFailure withNote(String note) {
        ReplicaFailure f = new ReplicaFailure(getMessage() + "; " + note, getCause());
        f.setStackTrace(getStackTrace());
        return f;
    }
}
