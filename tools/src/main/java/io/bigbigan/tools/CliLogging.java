package io.bigbigan.tools;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The CLI's logging backend. The library modules log through the SLF4J API only; the CLI binds it to the JDK's
 * {@code java.util.logging} (slf4j-jdk14, see tools/pom.xml) and prints each message at INFO and above as one line of
 * its own on standard error, {@code bigbigan: MESSAGE}, as the CLI printed these notices before they went through
 * SLF4J. A user's own {@code java.util.logging.config.file} / {@code config.class} is left in charge.
 */
final class CliLogging {
    private CliLogging() {}

    /** Installs the handler on the root logger (call before anything logs). */
    static void install() {
        if (System.getProperty("java.util.logging.config.file") != null
                || System.getProperty("java.util.logging.config.class") != null) return;
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) root.removeHandler(h);
        ConsoleHandler h = new ConsoleHandler();           // standard error, flushed after every record
        h.setLevel(Level.INFO);
        h.setFormatter(new Formatter() {
            @Override
            public String format(LogRecord r) {
                StringBuilder sb = new StringBuilder("bigbigan: ").append(formatMessage(r)).append(System.lineSeparator());
                if (r.getThrown() != null) {
                    StringWriter w = new StringWriter();
                    r.getThrown().printStackTrace(new PrintWriter(w));
                    sb.append(w);
                }
                return sb.toString();
            }
        });
        root.addHandler(h);
        root.setLevel(Level.INFO);
    }
}
