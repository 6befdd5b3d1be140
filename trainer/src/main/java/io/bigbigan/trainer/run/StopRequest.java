package io.bigbigan.trainer.run;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.util.concurrent.atomic.AtomicReference;

/**
 * SIGINT / SIGTERM as a request: the training loop finishes its current step, writes a checkpoint and returns
 * (the CLI then exits with its own status). A second signal while stopping exits at once.
 */
public final class StopRequest implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StopRequest.class);
    private final AtomicReference<String> signal = new AtomicReference<>();
    private final SignalHandler oldInt, oldTerm;

    private StopRequest() {
        SignalHandler h = s -> {
            if (!signal.compareAndSet(null, "SIG" + s.getName())) Runtime.getRuntime().halt(128 + s.getNumber());
            LOG.warn("SIG{}: finishing the current step and writing a checkpoint (again to abort)", s.getName());
        };
        oldInt = Signal.handle(new Signal("INT"), h);
        oldTerm = Signal.handle(new Signal("TERM"), h);
    }

    /** Installs the handlers until {@link #close()}. */
    public static StopRequest install() {
        return new StopRequest();
    }

    /** The signal name once a stop was requested, else null. */
    public String requested() {
        return signal.get();
    }

    /** Requests a stop programmatically (as a signal would). */
    public void request(String why) {
        signal.compareAndSet(null, why);
    }

    @Override
    public void close() {
        Signal.handle(new Signal("INT"), oldInt);
        Signal.handle(new Signal("TERM"), oldTerm);
    }
}
