package io.bigbigan.bindings;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * The reason of a file error in words. {@link FileSystemException}s often carry only the path as their message
 * ({@code Files.createDirectories} on a path that is a file throws a {@code FileAlreadyExistsException} whose message
 * is just that path), so a one-line error built from {@code getMessage()} would name the file but not what is wrong.
 */
public final class FileErrors {
    private FileErrors() {}

    /** What went wrong, without the path: the operating system's reason, or one derived from the exception's type. */
    public static String reason(IOException e) {
        if (e instanceof FileSystemException f) {
            if (f.getReason() != null && !f.getReason().isBlank()) return f.getReason();
            return switch (f) {
                case FileAlreadyExistsException x -> "already exists" + (x.getOtherFile() == null ? "" : " (" + x.getOtherFile() + ")")
                        + " and is not a folder, or a file there is in the way";
                case NoSuchFileException x -> "no such file or folder";
                case AccessDeniedException x -> "permission denied";
                case NotDirectoryException x -> "not a folder";
                case DirectoryNotEmptyException x -> "folder not empty";
                default -> f.getClass().getSimpleName();
            };
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    /**
     * {@code file: reason}; for a {@link FileSystemException} the file it names (e.g. the missing parent folder)
     * when that is not {@code file} itself.
     */
    public static String describe(java.nio.file.Path file, IOException e) {
        String where = file.toString();
        if (e instanceof FileSystemException f && f.getFile() != null && !f.getFile().equals(where)
                && !isTemporaryOf(f.getFile(), file))
            where = where + " (" + f.getFile() + ")";
        return where + ": " + reason(e);
    }

    /** Whether {@code path} is an {@link AtomicFiles} temporary file of {@code target}. */
    private static boolean isTemporaryOf(String path, java.nio.file.Path target) {
        java.nio.file.Path p = java.nio.file.Path.of(path);
        return p.getFileName() != null && target.getFileName() != null
                && p.getFileName().toString().startsWith("." + target.getFileName() + ".");
    }
}
