package io.bigbigan.trainer.data;

import java.nio.file.Path;

/**
 * A file left out of an image folder under {@link OnBadImage#SKIP}.
 *
 * @param path   the file
 * @param reason why it could not be used (the decoder's message)
 */
public record SkippedImage(Path path, String reason) {
    @Override
    public String toString() {
        return path + ": " + reason;
    }
}
