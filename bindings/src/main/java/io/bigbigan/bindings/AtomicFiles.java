package io.bigbigan.bindings;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes files atomically: readers see either the complete previous file or the complete new one, never a partial
 * write, also after a crash or power loss.
 *
 * <p>The content goes to a hidden temporary file in the target's directory ({@code .<name>.<random>.tmp}), which is
 * flushed to disk ({@link FileChannel#force(boolean)}) and then renamed over the target with
 * {@link StandardCopyOption#ATOMIC_MOVE}. If anything fails, the temporary file is deleted and an existing target is
 * left untouched.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes a file's content to a channel positioned at 0. */
    @FunctionalInterface
    public interface ChannelBody {
        void write(FileChannel channel) throws IOException;
    }

    /** Writes a file's content to a stream. The stream must not be closed by the body (closing is harmless). */
    @FunctionalInterface
    public interface StreamBody {
        void write(OutputStream out) throws IOException;
    }

    /**
     * Atomically replaces (or creates) {@code target} with what {@code body} writes to the channel.
     *
     * @throws IOException when the directory is not writable, the body fails, or the rename fails; unchecked
     *                     exceptions of the body propagate unchanged. In every failure case the temporary file is
     *                     gone and the previous target is intact.
     */
    public static void write(Path target, ChannelBody body) throws IOException {
        Path file = target.toAbsolutePath();
        Path dir = file.getParent();
        if (Files.isDirectory(file)) throw new FileSystemException(target.toString(), null, "is a folder; name a file");
        Path temp = dir.resolve("." + file.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1) + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                body.write(ch);
                ch.force(true);
            }
            move(temp, file);
        } catch (Throwable e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            if (e instanceof IOException io) throw naming(target, temp, io);
            throw e;
        }
        syncDirectory(dir);
    }

    /**
     * {@code e} as an exception whose message names {@code target} (the user's file), not the temporary file:
     * {@code target: reason}, of the same {@link FileSystemException} subclass where it is one.
     */
    private static IOException naming(Path target, Path temp, IOException e) {
        if (e.getMessage() != null && e.getMessage().contains(target.toString())
                && !e.getMessage().contains(temp.getFileName().toString())) return e;
        String file = target.toString(), reason = FileErrors.reason(e);
        IOException named = switch (e) {
            case NoSuchFileException x -> new NoSuchFileException(file, null, missingParent(target));
            case AccessDeniedException x -> new AccessDeniedException(file, null, reason);
            default -> new FileSystemException(file, null, reason);
        };
        named.initCause(e);
        return named;
    }

    private static String missingParent(Path target) {
        Path parent = target.toAbsolutePath().getParent();
        return parent == null ? "no such file or folder" : "the folder " + parent + " does not exist";
    }

    /**
     * Checks before the work that {@link #write} can create {@code target}: it is not a folder, its folder exists and
     * this process can create files in it (tried with a temporary file). Also deletes what earlier writes to
     * {@code target} left behind when their process was killed ({@code .<name>.<random hex>.tmp} beside it).
     *
     * @throws FileSystemException naming {@code target} and what is wrong
     */
    public static void checkWritable(Path target) throws IOException {
        Path file = target.toAbsolutePath(), dir = file.getParent();
        if (Files.isDirectory(file)) throw new FileSystemException(target.toString(), null, "is a folder; name a file");
        if (dir == null || !Files.isDirectory(dir))
            throw new NoSuchFileException(target.toString(), null, dir != null && Files.exists(dir)
                    ? dir + " is not a folder" : missingParent(target));
        if (Files.exists(file) && !Files.isRegularFile(file))
            throw new FileSystemException(target.toString(), null, "not a regular file");
        Path probe = dir.resolve("." + file.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1) + ".tmp");
        try {
            Files.newByteChannel(probe, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
            Files.delete(probe);
        } catch (IOException e) {
            throw new FileSystemException(target.toString(), null, "cannot create files in " + dir + " ("
                    + FileErrors.reason(e) + ")");
        }
        removeTemporaryFilesOf(target);
    }

    /** Deletes the temporary files ({@code .<name>.<random hex>.tmp}) that killed writes to {@code target} left. */
    public static java.util.List<Path> removeTemporaryFilesOf(Path target) throws IOException {
        Path file = target.toAbsolutePath(), dir = file.getParent();
        if (dir == null || !Files.isDirectory(dir)) return java.util.List.of();
        String prefix = "." + file.getFileName() + ".";
        java.util.List<Path> stale;
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            stale = s.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(prefix) && n.endsWith(".tmp")
                        && n.substring(prefix.length(), n.length() - 4).matches("[0-9a-f]{1,16}")
                        && Files.isRegularFile(p);
            }).sorted().toList();
        }
        for (Path p : stale) Files.deleteIfExists(p);
        return stale;
    }

    /**
     * Atomically replaces (or creates) {@code target} with what {@code body} writes to the stream (buffered).
     *
     * @see #write(Path, ChannelBody)
     */
    public static void writeStream(Path target, StreamBody body) throws IOException {
        write(target, ch -> {
            OutputStream out = new java.io.BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
            body.write(out);
            out.flush();
        });
    }

    /**
     * Deletes the temporary files that writes into {@code dir} left behind when their process was killed
     * ({@code .<name>.<random hex>.tmp}, and {@code .step-NNNNNNNN.optim.pt.tmp} of older builds' checkpoints). Call
     * it only on folders this program owns and where no other process is writing. A missing folder has none.
     *
     * @return the files deleted
     * @throws IOException when the folder cannot be listed or a file cannot be deleted
     */
    public static java.util.List<Path> removeTemporaryFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return java.util.List.of();
        java.util.List<Path> stale;
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            stale = s.filter(p -> {
                String n = p.getFileName().toString();
                return TEMPORARY.matcher(n).matches() && Files.isRegularFile(p);
            }).sorted().toList();
        }
        for (Path p : stale) Files.deleteIfExists(p);
        return stale;
    }

    private static final java.util.regex.Pattern TEMPORARY =
            java.util.regex.Pattern.compile("\\..+\\.[0-9a-f]{1,16}\\.tmp|\\.step-\\d+\\.optim\\.pt\\.tmp");

    /** Writes {@code bytes} to the channel completely (a channel may accept fewer bytes per call). */
    public static void writeFully(FileChannel ch, java.nio.ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) ch.write(bytes);
    }

    private static void move(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot replace " + target + " atomically: the file system does not support "
                    + "atomic renames", e);
        }
    }

    /** Makes the rename itself durable (POSIX); best effort, as not every platform can open a directory. */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // Windows and some file systems cannot sync a directory; the data itself is already on disk.
        }
    }
}
