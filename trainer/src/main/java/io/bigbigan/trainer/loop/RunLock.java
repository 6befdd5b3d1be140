package io.bigbigan.trainer.loop;

import io.bigbigan.bindings.FileErrors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * One writer per run folder: an exclusive lock ({@link FileChannel#tryLock()}) on {@code RUN/.lock}, held until
 * {@link #close()} or the end of the process. The operating system releases it when the holder dies, also on
 * {@code kill -9}, so a lock left by a killed process never blocks a later run; the file keeps the holder's process
 * id for the message a second writer gets ({@link InUseException}).
 */
public final class RunLock implements AutoCloseable {
    /** The lock file's name inside the run folder. */
    public static final String FILE = ".lock";

    private final FileChannel channel;
    private final FileLock lock;

    private RunLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** A run folder this process may not write: another writer holds it, or it holds a run not to be replaced. */
    public static class RefusedException extends RuntimeException {
        /** @param message one line naming the folder and what to do instead */
        public RefusedException(String message) {
            super(message);
        }
    }

    /** Another process (or another command of this one) holds the run folder. */
    public static final class InUseException extends RefusedException {
        private final long holder;

        InUseException(Path dir, long holder) {
            super(dir + " is in use by another bigbigan process" + (holder > 0 ? " (pid " + holder + ")" : "")
                    + "; wait for it to finish, or give another --out");
            this.holder = holder;
        }

        /** The holder's process id, or -1 when the lock file does not name one. */
        public long holder() {
            return holder;
        }
    }

    /**
     * Locks {@code dir} (created when missing) for this process.
     *
     * @throws InUseException when another process, or an earlier {@code acquire} in this one, holds it
     * @throws UncheckedIOException when the folder or its lock file cannot be created
     */
    public static RunLock acquire(Path dir) {
        Path file = dir.resolve(FILE);
        FileChannel ch = null;
        try {
            Files.createDirectories(dir);
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {        // held by this JVM (e.g. an earlier command in-process)
                ch.close();
                throw new InUseException(dir, ProcessHandle.current().pid());
            }
            if (lock == null) {
                long holder = holder(ch);
                ch.close();
                throw new InUseException(dir, holder);
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            ch.force(false);
            return new RunLock(ch, lock);
        } catch (IOException e) {
            try {
                if (ch != null) ch.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new UncheckedIOException(FileErrors.describe(file, e), e);
        }
    }

    /** The process id the lock file names (-1 when it names none). */
    private static long holder(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(32);
        ch.read(b, 0);
        String s = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).trim();
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * What {@code dir} holds of an earlier run (its checkpoints or {@code metrics.jsonl}), in words, or null when it
     * holds none (missing, empty, or only other files).
     */
    public static String existingRun(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return null;
        Path checkpoints = dir.resolve("checkpoints"), metrics = dir.resolve("metrics.jsonl");
        List<String> steps = List.of();
        if (Files.isDirectory(checkpoints))
            try (Stream<Path> s = Files.list(checkpoints)) {
                steps = s.map(p -> p.getFileName().toString()).filter(n -> n.matches("step-\\d+\\..*"))
                        .map(n -> n.substring(5, n.indexOf('.'))).distinct().sorted().toList();
            }
        if (!steps.isEmpty())
            return "a run (checkpoints up to step " + Long.parseLong(steps.getLast()) + ")";
        if (Files.isRegularFile(metrics) && Files.size(metrics) > 0) return "a run (metrics.jsonl)";
        return null;
    }

    /** Deletes everything in {@code dir} except the lock file (this lock's folder: call it while holding it). */
    public void emptyFolder(Path dir) throws IOException {
        List<Path> all;
        try (Stream<Path> s = Files.walk(dir)) {
            all = s.filter(p -> !p.equals(dir) && !p.equals(dir.resolve(FILE)))
                    .sorted(Comparator.reverseOrder()).toList();           // children before their folders
        }
        for (Path p : all) Files.deleteIfExists(p);
    }

    /** Releases the lock (the file stays; a later {@link #acquire} reuses it). */
    @Override
    public void close() {
        try {
            if (lock.isValid()) lock.release();
            channel.close();
        } catch (IOException ignored) {
            // the lock goes with the channel, or with the process
        }
    }
}
