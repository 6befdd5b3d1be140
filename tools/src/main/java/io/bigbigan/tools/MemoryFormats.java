package io.bigbigan.tools;

import io.bigbigan.trainer.config.OptionException;
import io.bigbigan.trainer.step.ComputeDevice;

import java.util.concurrent.Callable;

/** Parses {@code --memory-format} and keeps a command's choice from outliving it. */
final class MemoryFormats {
    private MemoryFormats() {}

    /** True for {@code channels-last}, false for {@code contiguous}; anything else is an error naming the flag. */
    static boolean channelsLast(String value) {
        return switch (value == null ? "contiguous" : value) {
            case "contiguous" -> false;
            case "channels-last" -> true;
            default -> throw new OptionException("--memory-format: expected contiguous or channels-last, got '"
                    + value + "'");
        };
    }

    /** Runs {@code command}, then restores the process's layout setting (tests run many commands in one JVM). */
    static Integer restoringLayout(Callable<Integer> command) throws Exception {
        boolean before = ComputeDevice.channelsLast();
        try {
            return command.call();
        } finally {
            ComputeDevice.channelsLast(before);
        }
    }
}
