package io.bigbigan.bindings;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.ArchiveWriter;
import org.bytedeco.pytorch.OutputArchive;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Writes LibTorch archives ({@link OutputArchive}) through Java's file I/O instead of LibTorch's own file writer.
 *
 * <p>Why: when LibTorch's writer fails (disk full, unwritable folder), its zip writer throws a C++ exception from a
 * destructor, which aborts the process ({@code terminate called after throwing an instance of 'c10::Error'}, exit
 * 134), or, when the file cannot be opened, surfaces as a C++ backtrace. Here LibTorch serialises into a callback
 * ({@code OutputArchive::save_to(std::function<size_t(const void*, size_t)>)}) that hands the bytes to a
 * {@link FileChannel}; the callback never reports a short write to LibTorch (so the archive always finishes), it
 * records the first {@link IOException} and drops the remaining bytes, and the failure is thrown afterwards as an
 * ordinary exception. The file is written atomically ({@link AtomicFiles}): after a failure the temporary file is gone
 * and a previous file of that name is untouched. The bytes are those {@code save_to(filename)} writes.
 */
public final class Archives {
    private Archives() {}

    /**
     * Atomically writes {@code archive} to {@code file}.
     *
     * @throws IOException naming nothing but the reason (callers name the file), when the folder is not writable or a
     *                     write, the flush or the rename fails
     */
    public static void save(OutputArchive archive, Path file) throws IOException {
        AtomicFiles.write(file, ch -> {
            ChannelWriter w = new ChannelWriter(ch);
            try {
                archive.save_to(w);
            } finally {
                w.close();
            }
            if (w.failure != null) throw w.failure;
        });
    }

    /** LibTorch's writer callback onto a channel; keeps the first failure instead of reporting short writes. */
    private static final class ChannelWriter extends ArchiveWriter {
        private final FileChannel channel;
        private IOException failure;

        ChannelWriter(FileChannel channel) {
            super();
            this.channel = channel;
        }

        @Override
        public long call(Pointer data, long n) {
            if (failure != null || n <= 0 || data == null || data.isNull()) return n;
            try {
                BytePointer bytes = new BytePointer(data);
                for (long off = 0; off < n; ) {               // ByteBuffers are int-indexed: slices of at most 1 GiB
                    long len = Math.min(n - off, 1L << 30);
                    bytes.position(off).limit(off + len).capacity(off + len);
                    AtomicFiles.writeFully(channel, bytes.asBuffer());
                    off += len;
                }
            } catch (IOException e) {
                failure = e;
            } catch (RuntimeException e) {
                failure = new IOException(e.toString(), e);
            }
            return n;                                          // never a short write: LibTorch must finish cleanly
        }
    }
}
