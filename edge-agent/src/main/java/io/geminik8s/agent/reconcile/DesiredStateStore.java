package io.geminik8s.agent.reconcile;

import io.geminik8s.protocol.DesiredState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Remembers the newest desired-state generation this node accepted, across restarts; older or repeated
 * generations (the retained message comes again on every subscribe) are ignored. Applying the spec comes with
 * fleet templates.
 */
public final class DesiredStateStore {

    private final Path file;
    private long generation;

    public DesiredStateStore(Path stateDir) {
        this.file = stateDir.resolve("desired-generation");
        try {
            Files.createDirectories(stateDir);
            generation = Files.exists(file) ? Long.parseLong(Files.readString(file).trim()) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public synchronized long generation() {
        return generation;
    }

    /** True when {@code d} is newer than anything seen before; it is then remembered durably. */
    public synchronized boolean accept(DesiredState d) {
        if (d.generation() <= generation) {
            return false;
        }
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, Long.toString(d.generation()));
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        generation = d.generation();
        return true;
    }
}
