package io.bigbigan.tools;

import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The library logs through SLF4J; the CLI binds it to java.util.logging (slf4j-jdk14 on its class path) and prints the
 * messages as its own {@code bigbigan: ...} lines on standard error, as it printed them before.
 */
class CliLoggingTest {
    @Test
    void libraryNoticesBecomeTheCliOwnLinesOnStandardError() {
        Logger root = Logger.getLogger("");
        List<Handler> saved = List.of(root.getHandlers());
        Level savedLevel = root.getLevel();
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (PrintStream ps = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setErr(ps);
            CliLogging.install();                                  // its handler writes to the standard error of now
            LoggerFactory.getLogger(io.bigbigan.trainer.checkpoint.Checkpoints.class)
                    .warn("skipped incomplete or corrupt checkpoints: {}", "step-00000002.safetensors: no manifest");
            LoggerFactory.getLogger(io.bigbigan.api.BigBiganModel.class).info("converting {} images", "64x48 RGB");
            LoggerFactory.getLogger(io.bigbigan.api.BigBiganModel.class).debug("not shown");
            for (Handler h : root.getHandlers()) h.flush();
        } finally {
            System.setErr(oldErr);
            for (Handler h : root.getHandlers()) root.removeHandler(h);
            saved.forEach(root::addHandler);
            root.setLevel(savedLevel);
        }
        assertEquals("bigbigan: skipped incomplete or corrupt checkpoints: step-00000002.safetensors: no manifest\n"
                + "bigbigan: converting 64x48 RGB images\n", err.toString(StandardCharsets.UTF_8));
    }
}
