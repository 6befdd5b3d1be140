package io.bigbigan.tools;

import io.bigbigan.bindings.AtomicFiles;
import io.bigbigan.bindings.FileErrors;
import io.bigbigan.trainer.config.OptionException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The output paths of a command, checked when it starts, before its long work: a usage error (exit 2) names the
 * option, the user's path and what is wrong, never a temporary file.
 */
final class Outputs {
    private Outputs() {}

    /**
     * A file that will be written atomically: not a folder, in an existing folder this process can write; leftovers
     * of killed writes to it ({@code .NAME.<hex>.tmp}) are deleted.
     */
    static void file(String option, Path file) {
        try {
            AtomicFiles.checkWritable(file);
        } catch (IOException e) {
            throw new OptionException(option + " " + FileErrors.describe(file, e), e);
        }
    }

    /** A folder for outputs: created now when missing (so a bad path fails here), and writable (tried). */
    static void folder(String option, Path folder) {
        if (Files.exists(folder) && !Files.isDirectory(folder))
            throw new OptionException(option + " " + folder + ": is a file; name a folder");
        try {
            Files.createDirectories(folder);
            Path probe = Files.createTempFile(folder, ".probe.", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            throw new OptionException(option + " " + FileErrors.describe(folder, e), e);
        }
    }
}
