package io.bigbigan.trainer.loop;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.util.concurrent.atomic.AtomicReference;

/**
 * SIGINT / SIGTERM as a request: the training loop finishes its current step, writes a checkpoint and returns
 * (the CLI then exits with its own status). A second signal while stopping exits at once. Once training is over and
 * its checkpoint written ({@link #haltOnStop}), a signal ends the process at once: nothing is left to save.
 */
public final class StopRequest implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StopRequest.class);
    private final AtomicReference<String> signal = new AtomicReference<>();
    private final SignalHandler oldInt, oldTerm;
    private volatile String haltMessage;
    private volatile int haltCode;

    private StopRequest() {
        SignalHandler h = s -> {
            String name = "SIG" + s.getName();
            haltIfFinished(name);
            if (!signal.compareAndSet(null, name)) {
                System.out.flush();                  // straight to stderr, not the logger: the JVM halts next
                System.err.println("bigbigan: " + abortMessage(name, 128 + s.getNumber()));
                System.err.flush();
                Runtime.getRuntime().halt(128 + s.getNumber());
            }
            LOG.warn("{}: finishing the current step and writing a checkpoint (again to abort)", name);
        };
        oldInt = Signal.handle(new Signal("INT"), h);
        oldTerm = Signal.handle(new Signal("TERM"), h);
    }

    /** What a second signal while stopping does, in words (printed before the process halts with {@code code}). */
    static String abortMessage(String signal, int code) {
        return signal + " again: stopped at once (exit " + code + ") without a checkpoint of the current step; the"
                + " run's checkpoints are complete files, so it continues from its newest one (bigbigan resume RUN)";
    }

    /** Installs the handlers until {@link #close()}. */
    public static StopRequest install() {
        return new StopRequest();
    }

    /** The signal name once a stop was requested, else null. */
    public String requested() {
        return signal.get();
    }

    /**
     * Requests a stop programmatically, as a signal would (without the abort on a second request), e.g. when the
     * {@code --nproc} launcher that started this worker is gone.
     */
    public void request(String why) {
        haltIfFinished(why);
        if (signal.compareAndSet(null, why))
            LOG.warn("{}: finishing the current step and writing a checkpoint", why);
    }

    /**
     * From now on (the run's last checkpoint is written; what follows, e.g. the final evaluation, can be redone from
     * it) a stop request ends the process at once with {@code code}, after printing {@code message}. A request that
     * came before this call is not acted on here: check {@link #requested()}.
     */
    public void haltOnStop(int code, String message) {
        haltCode = code;
        haltMessage = message;
    }

    private void haltIfFinished(String why) {
        String m = haltMessage;
        if (m == null) return;
        signal.compareAndSet(null, why);
        System.out.flush();                          // straight to stderr, not the logger: the JVM halts next
        System.err.println("bigbigan: " + why + ": " + m);
        System.err.flush();
        Runtime.getRuntime().halt(haltCode);
    }

    @Override
    public void close() {
        Signal.handle(new Signal("INT"), oldInt);
        Signal.handle(new Signal("TERM"), oldTerm);
    }
}
