package io.geminik8s.agent.reconcile;

import io.geminik8s.agent.state.DurableFiles;
import io.geminik8s.protocol.DesiredState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The newest desired-state generation this node applied, and its spec ({@code desired-spec.json}), across restarts.
 * The spec is written before the generation, so a crash between the two applies the same generation again
 * (idempotent) rather than claiming one whose spec is missing.
 */
public final class DesiredStateStore {

    private final Path file;
    private final Path specFile;
    private long generation;

    public DesiredStateStore(Path stateDir) {
        this.file = stateDir.resolve("desired-generation");
        this.specFile = stateDir.resolve("desired-spec.json");
        try {
            DurableFiles.privateDirectory(stateDir);
            generation = DurableFiles.readLong(file).orElse(0); // damaged: the next desired state is applied again
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public synchronized long generation() {
        return generation;
    }

    /** The applied generation's spec as JSON; empty when none was applied (or its file is gone). */
    public synchronized java.util.Optional<byte[]> spec() {
        try {
            return generation == 0 || !java.nio.file.Files.exists(specFile) ? java.util.Optional.empty()
                    : java.util.Optional.of(java.nio.file.Files.readAllBytes(specFile));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The applied generation's spec, empty before the first; a damaged file reads as empty (and is logged). */
    @SuppressWarnings("unchecked")
    public synchronized java.util.Map<String, ?> specMap(io.geminik8s.protocol.Codec json) {
        try {
            if (generation == 0 || !java.nio.file.Files.exists(specFile)) {
                return java.util.Map.of();
            }
            Object spec = io.geminik8s.protocol.JsonTree.plain(json.tree(java.nio.file.Files.readAllBytes(specFile)));
            if (spec instanceof java.util.Map<?, ?> m) {
                return (java.util.Map<String, ?>) m;
            }
            throw new IOException("not a JSON object");
        } catch (IOException e) {
            java.util.logging.Logger.getLogger(DesiredStateStore.class.getName()).warning("desired spec unreadable: "
                    + e.getMessage());
            return java.util.Map.of();
        }
    }

    /** Writes {@code d}'s spec and generation durably; false when it is not newer than what was applied. */
    public synchronized boolean apply(DesiredState d, byte[] specJson) {
        if (d.generation() <= generation) {
            return false;
        }
        write(specFile, specJson);
        write(file, Long.toString(d.generation()).getBytes(StandardCharsets.UTF_8));
        generation = d.generation();
        return true;
    }

    private static void write(Path target, byte[] bytes) {
        try {
            DurableFiles.write(target, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
