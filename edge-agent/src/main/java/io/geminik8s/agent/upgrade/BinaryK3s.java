package io.geminik8s.agent.upgrade;

import io.geminik8s.agent.k3s.K3sDriver;
import io.geminik8s.agent.proc.ProcessRunner;
import io.geminik8s.agent.state.DurableFiles;
import io.geminik8s.protocol.Artifact;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real K3s binary ({@code k3s.binary}, default /usr/local/bin/k3s): its version from {@code k3s --version}, ready
 * when {@code k3s kubectl get --raw=/readyz} succeeds (or {@code k3s.ready-command}). An install copies the checked
 * artifact beside the binary, keeps the installed one as {@code <binary>.gk8s-previous} (only while the binary is
 * not the artifact byte for byte, so an install resumed after the rename keeps the version to roll back to), renames it into place and
 * restarts K3s if HA wants it running. Not verified with a real K3s here (none on these machines): the harness runs a
 * stand-in binary that answers the same commands.
 */
public final class BinaryK3s implements K3sVersions {

    private static final Pattern VERSION = Pattern.compile("\\b(v\\d+\\.\\d+\\.\\d+[A-Za-z0-9.+_-]{0,64})");

    private final Path binary;
    private final Path previous;
    private final List<String> readyCommand;
    private final K3sDriver service;
    private final ProcessRunner runner = new ProcessRunner();

    public BinaryK3s(Path binary, String readyCommand, K3sDriver service) {
        this.binary = binary;
        this.previous = binary.resolveSibling(binary.getFileName() + ".gk8s-previous");
        this.readyCommand = readyCommand != null ? List.of("sh", "-c", readyCommand)
                : List.of(binary.toString(), "kubectl", "get", "--raw=/readyz");
        this.service = service;
    }

    /** The binary's identity (file key, size, mtime) when its version was last asked, and that version. */
    private Object askedOf;
    private String askedVersion;

    /** Asks the binary only when it changed since the last answer: the upgrade looks every second. */
    @Override
    public synchronized String running() {
        if (!Files.isExecutable(binary)) {
            return null;
        }
        Object identity;
        try {
            var a = Files.readAttributes(binary, java.nio.file.attribute.BasicFileAttributes.class);
            identity = List.of(String.valueOf(a.fileKey()), a.size(), a.lastModifiedTime());
        } catch (IOException e) {
            identity = null;
        }
        if (identity != null && identity.equals(askedOf)) {
            return askedVersion;
        }
        ProcessRunner.Result r = runner.run(Duration.ofSeconds(10), List.of(binary.toString(), "--version"));
        Matcher m = VERSION.matcher(r.stdout());
        askedVersion = r.ok() && m.find() ? m.group(1) : null;
        askedOf = r.ok() ? identity : null;
        return askedVersion;
    }

    @Override
    public boolean ready() {
        return runner.run(Duration.ofSeconds(10), readyCommand).ok();
    }

    /**
     * In place already when the binary's bytes are the artifact's (never decided by asking the binary: a build that
     * cannot say its version must not be taken for the old one). Otherwise the binary there is not the new one, so
     * it is the version to roll back to: kept, then replaced. K3s is restarted in any case (a resumed install may
     * have crashed between the rename and the restart).
     */
    @Override
    public void install(Path artifact, String version) {
        try {
            boolean inPlace = Files.exists(binary) && Artifact.sha256Of(binary).equals(Artifact.sha256Of(artifact));
            if (!inPlace) {
                Path next = binary.resolveSibling(binary.getFileName() + ".gk8s-new");
                Files.deleteIfExists(next);
                Files.copy(artifact, next);
                Files.setPosixFilePermissions(next, PosixFilePermissions.fromString("rwxr-xr-x"));
                DurableFiles.fsync(next);
                if (Files.exists(binary)) {
                    Files.copy(binary, previous, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
                    DurableFiles.fsync(previous);
                }
                Files.move(next, binary, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                DurableFiles.fsyncDirectory(binary.getParent());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("installing K3s " + version + " at " + binary + ": " + e.getMessage(), e);
        }
        service.restartIfWanted();
        String now = running();
        if (!version.equals(now)) {
            throw new IllegalStateException("the installed binary reports " + now + ", not " + version);
        }
    }

    @Override
    public void restart() {
        service.restartIfWanted();
    }

    @Override
    public void rollback() {
        if (!Files.isExecutable(previous)) {
            throw new IllegalStateException("no previous K3s kept at " + previous);
        }
        try {
            Path back = binary.resolveSibling(binary.getFileName() + ".gk8s-new");
            Files.copy(previous, back, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
            DurableFiles.fsync(back);
            Files.move(back, binary, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            DurableFiles.fsyncDirectory(binary.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("restoring " + previous + ": " + e.getMessage(), e);
        }
        service.restartIfWanted();
    }
}
