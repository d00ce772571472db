package io.geminik8s.agent.pg;

import io.geminik8s.agent.state.DurableFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * A data directory replaced by a complete copy, never emptied first: the copy is made in a sibling directory
 * ({@link #fresh}), then the old directory is renamed aside, the copy renamed in, and only then the old one deleted.
 * A crash between the two renames leaves no data directory but both siblings; {@link #recover} puts the old one back.
 */
final class DataSwap {

    private static final Logger LOG = Logger.getLogger(DataSwap.class.getName());

    private DataSwap() {
    }

    /** Where a new copy of {@code data} is made: next to it (same filesystem, so the rename is atomic). */
    static Path fresh(Path data) {
        return data.resolveSibling(data.getFileName() + ".gk8s-clone");
    }

    static Path old(Path data) {
        return data.resolveSibling(data.getFileName() + ".gk8s-old");
    }

    /** {@code fresh} becomes {@code data}; the previous {@code data}, if any, is deleted once the swap is durable. */
    static void swapIn(Path fresh, Path data) {
        Path old = old(data);
        try {
            delete(old);
            if (Files.exists(data)) {
                Files.move(data, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(fresh, data, StandardCopyOption.ATOMIC_MOVE);
            DurableFiles.fsyncDirectory(data.getParent());
            delete(old);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot swap " + fresh + " in as " + data, e);
        }
    }

    /**
     * At start: finishes or undoes a swap a crash interrupted. With no data directory but the old one aside, the
     * old one comes back (it was complete); a left-over copy is deleted (it may be incomplete).
     */
    static void recover(Path data) {
        Path old = old(data);
        try {
            if (Files.exists(old) && !Files.exists(data)) {
                LOG.warning("an interrupted re-clone left " + data + " missing: putting the previous data back");
                Files.move(old, data, StandardCopyOption.ATOMIC_MOVE);
                DurableFiles.fsyncDirectory(data.getParent());
            }
            delete(old);
            delete(fresh(data));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot recover " + data + " from an interrupted re-clone", e);
        }
    }

    /** Deletes a directory tree, if present. */
    static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
