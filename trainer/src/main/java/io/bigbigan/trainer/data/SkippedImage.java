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

    /** One line naming the count and the first few skipped files (of {@code dir}). */
    public static String line(Path dir, java.util.List<SkippedImage> skipped) {
        int shown = Math.min(3, skipped.size());
        StringBuilder line = new StringBuilder(dir + ": skipped " + skipped.size() + " unreadable image file"
                + (skipped.size() == 1 ? "" : "s") + ": ");
        for (int i = 0; i < shown; i++) line.append(i == 0 ? "" : ", ").append(skipped.get(i).path());
        if (skipped.size() > shown) line.append(", ...");
        return line.toString();
    }
}
