package io.geminik8s.agent.upgrade;

import io.geminik8s.agent.k3s.K3sDriver;
import io.geminik8s.agent.proc.ProcessRunner;
import io.geminik8s.agent.state.DurableFiles;
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
 * artifact beside the binary, keeps the installed one as {@code <binary>.gk8s-previous} (once per install, so a
 * install resumed after the rename finds the target in place and keeps the version to roll back to), renames it into place and
 * restarts K3s if HA wants it running. Not verified with a real K3s here (none on these machines): the harness runs a
 * stand-in binary that answers the same commands.
 */
public final class BinaryK3s implements K3sVersions {

    private static final Pattern VERSION = Pattern.compile("\\b(v\\d+\\.\\d+\\.\\d+\\S*)");

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

    @Override
    public String running() {
        if (!Files.isExecutable(binary)) {
            return null;
        }
        ProcessRunner.Result r = runner.run(Duration.ofSeconds(10), List.of(binary.toString(), "--version"));
        Matcher m = VERSION.matcher(r.stdout());
        return r.ok() && m.find() ? m.group(1) : null;
    }

    @Override
    public boolean ready() {
        return runner.run(Duration.ofSeconds(10), readyCommand).ok();
    }

    @Override
    public void install(Path artifact, String version) {
        if (version.equals(running())) {
            return; // in place already (a resumed install)
        }
        try {
            Path next = binary.resolveSibling(binary.getFileName() + ".gk8s-new");
            Files.deleteIfExists(next);
            Files.copy(artifact, next);
            Files.setPosixFilePermissions(next, PosixFilePermissions.fromString("rwxr-xr-x"));
            DurableFiles.fsync(next);
            if (Files.exists(binary)) { // not the target (checked above): the version to roll back to
                Files.copy(binary, previous, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
                DurableFiles.fsync(previous);
            }
            Files.move(next, binary, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            DurableFiles.fsyncDirectory(binary.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("installing K3s " + version + " at " + binary + ": " + e.getMessage(), e);
        }
        String now = running();
        if (!version.equals(now)) {
            throw new IllegalStateException("the installed binary reports " + now + ", not " + version);
        }
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
