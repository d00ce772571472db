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
 * mode 0644 (public certificates; the folder's own mode decides who reaches them: the default, under the agent's 0700
 * state folder, only root, as K3s runs); the folder is the template's: a {@code .pem} it does not name is removed.
 * What was in place before is in the upgrade record, so a rollback writes it back the same way.
 */
public final class CertificateFolder {

    private final Path dir;

    public CertificateFolder(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /** Makes the folder hold exactly {@code files} (name → PEM). */
    public void apply(Map<String, String> files) {
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
            for (Path p : pems()) { // the folder is the template's: a .pem it does not name (any more) goes
                String name = p.getFileName().toString();
                if (!files.containsKey(name.substring(0, name.length() - 4))) {
                    Files.deleteIfExists(p);
                }
            }
            DurableFiles.fsyncDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("certificate files in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Whether the folder holds exactly {@code files}: their content, and no other {@code .pem}. */
    public boolean holds(Map<String, String> files) {
        return pems().size() == files.size() && files.entrySet().stream().allMatch(e -> {
            Path f = dir.resolve(e.getKey() + ".pem");
            return Files.isRegularFile(f) && read(f).equals(e.getValue());
        });
    }

    private java.util.List<Path> pems() {
        if (!Files.isDirectory(dir)) {
            return java.util.List.of();
        }
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".pem")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path f) {
        try {
            return Files.readString(f, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return "";
        }
    }
}
