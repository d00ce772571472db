package io.geminik8s.agent.upgrade;

import io.geminik8s.agent.state.DurableFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;

/**
 * The folder ({@code certificates.dir}) where a template's certificate files go, one {@code <name>.pem} each
 * (names are checked by the protocol's {@code CertificateFiles}: no path). Each is written whole and renamed in,
 * readable by all (they are public certificates: K3s and other services read them); a file a template no longer
 * names is removed. What was in place before is in the upgrade record, so a rollback writes it back the same way.
 */
public final class CertificateFolder {

    private final Path dir;

    public CertificateFolder(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /** Makes the folder hold {@code files} (name → PEM), removing what {@code previous} had and {@code files} has not. */
    public void apply(Map<String, String> files, Map<String, String> previous) {
        try {
            Files.createDirectories(dir);
            for (var e : files.entrySet()) {
                Path f = dir.resolve(e.getKey() + ".pem");
                if (!Optional.of(f).filter(Files::isRegularFile).map(CertificateFolder::read).orElse("")
                        .equals(e.getValue())) {
                    DurableFiles.write(f, e.getValue().getBytes(StandardCharsets.US_ASCII));
                    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
                }
            }
            for (String gone : previous.keySet()) {
                if (!files.containsKey(gone)) {
                    Files.deleteIfExists(dir.resolve(gone + ".pem"));
                }
            }
            DurableFiles.fsyncDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("certificate files in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Whether the folder holds exactly the content of {@code files} (the proof after a restart). */
    public boolean holds(Map<String, String> files) {
        return files.entrySet().stream().allMatch(e -> {
            Path f = dir.resolve(e.getKey() + ".pem");
            return Files.isRegularFile(f) && read(f).equals(e.getValue());
        });
    }

    private static String read(Path f) {
        try {
            return Files.readString(f, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return "";
        }
    }
}
