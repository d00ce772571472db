package io.geminik8s.agent.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The agent's state files: written so that a power cut leaves either the old or the new content (write a temporary
 * file, fsync it, rename it over the target, fsync the directory: a rename is durable only once its directory is),
 * readable only by the agent's user (files 0600, folders 0700), and read so that an empty or garbled file (a file
 * system that lost the data of a rename anyway) is treated as absent with a warning instead of stopping the agent.
 */
public final class DurableFiles {

    private static final Logger LOG = Logger.getLogger(DurableFiles.class.getName());
    static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");

    private DurableFiles() {
    }

    /** Creates {@code dir} (and missing parents) and makes it 0700, also when it existed with a wider mode. */
    public static Path privateDirectory(Path dir) throws IOException {
        Files.createDirectories(dir);
        if (posix(dir)) {
            Files.setPosixFilePermissions(dir, DIR_MODE);
        }
        return dir;
    }

    /** Replaces {@code target} with {@code bytes}: write, fsync, atomic rename, fsync of the directory; mode 0600. */
    public static void write(Path target, byte[] bytes) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = dir.resolve(target.getFileName() + ".tmp");
        Files.deleteIfExists(tmp); // a left-over of a crash may have another mode
        try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                privateFile(dir))) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        fsyncDirectory(dir);
    }

    public static void writeString(Path target, String text) throws IOException {
        write(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /** An empty file with mode 0600 unless it exists (for files appended to, such as an audit log). */
    public static Path createPrivateFile(Path file) throws IOException {
        try {
            Files.createFile(file, privateFile(file.toAbsolutePath().getParent()));
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // appended to from now on; its mode was set when it was created
        }
        return file;
    }

    /** The trimmed text of {@code file}; empty when absent, or (with a warning) when empty. */
    public static Optional<String> readText(Path file) throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        String text = Files.readString(file, StandardCharsets.UTF_8).trim();
        if (text.isEmpty()) {
            LOG.warning(file + " is empty (lost in a power cut?): treated as absent");
            return Optional.empty();
        }
        return Optional.of(text);
    }

    /** The number in {@code file}; empty when absent, or (with a warning) when empty or not a number. */
    public static OptionalLong readLong(Path file) throws IOException {
        Optional<String> text = readText(file);
        if (text.isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(text.get()));
        } catch (NumberFormatException e) {
            LOG.warning(file + " holds no number (" + text.get().length() + " characters, damaged?): treated as absent");
            return OptionalLong.empty();
        }
    }

    /** fsync of a directory: makes the creations, renames and deletions of its entries durable. */
    /** Forces {@code file}'s content to disk. */
    public static void fsync(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    public static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    private static FileAttribute<?>[] privateFile(Path dir) {
        return posix(dir) ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE_MODE)}
                : new FileAttribute<?>[0];
    }

    private static boolean posix(Path p) {
        return p.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
