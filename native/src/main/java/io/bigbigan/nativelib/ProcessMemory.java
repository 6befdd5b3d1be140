package io.bigbigan.nativelib;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident memory of this process, read from {@code /proc/self/status} (Linux). */
public final class ProcessMemory {
    private ProcessMemory() {}

    /** Resident set size in bytes (VmRSS), or -1 where /proc is unavailable. */
    public static long residentBytes() {
        return status("VmRSS:");
    }

    /** The largest resident set size so far in bytes (VmHWM, the high-water mark), or -1 where unavailable. */
    public static long peakResidentBytes() {
        return status("VmHWM:");
    }

    private static long status(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field)) {
                    String[] parts = line.substring(field.length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024L;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
