package io.geminik8s.agent.pg;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * TLS for a pair's PostgreSQL with the node's own fleet certificate (the one it enrolled and renews): the server
 * presents it, the standby presents it to its primary, and each checks the other's against the fleet CA. The
 * agent's files are copied to {@code <pg.data>.tls/} (0700, files 0600, owned by the server's OS user, as
 * PostgreSQL demands of a key); when a renewal changes them, {@link #install} says so and the server reloads.
 */
final class PgTls {

    static final String CERT = "node.pem";
    static final String KEY = "node.key";
    static final String CA = "ca.pem";

    private PgTls() {
    }

    static Path dir(PgControl pg) {
        return pg.data.resolveSibling(pg.data.getFileName() + ".tls");
    }

    /** Copies the agent's files where PostgreSQL reads them; true when any of them changed. */
    static boolean install(PgControl pg, PgTlsFiles source) {
        Path dir = dir(pg);
        try {
            if (Files.notExists(dir)) {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                if (pg.osUser != null && PgControl.isRoot()) {
                    pg.run(Duration.ofSeconds(10), "chown", pg.osUser + ":", dir.toString());
                }
            }
            boolean changed = false;
            for (var f : List.of(List.of(source.cert(), dir.resolve(CERT)), List.of(source.key(), dir.resolve(KEY)),
                    List.of(source.ca(), dir.resolve(CA)))) {
                byte[] want = Files.readAllBytes(f.get(0));
                if (Files.notExists(f.get(1)) || !Arrays.equals(want, Files.readAllBytes(f.get(1)))) {
                    PgAuth.privateFile(pg, f.get(1), want);
                    changed = true;
                }
            }
            return changed;
        } catch (IOException e) {
            throw new UncheckedIOException(pg.name + ": cannot install the TLS files for PostgreSQL", e);
        }
    }

    /** The server's settings: TLS on, with the node's certificate, key and the fleet CA for clients' certificates. */
    static List<String> serverSettings(PgControl pg) {
        Path dir = dir(pg).toAbsolutePath();
        return List.of("-c", "ssl=on", "-c", "ssl_cert_file=" + dir.resolve(CERT), "-c", "ssl_key_file="
                + dir.resolve(KEY), "-c", "ssl_ca_file=" + dir.resolve(CA), "-c", "ssl_min_protocol_version=TLSv1.2");
    }

    /** A client's libpq options: TLS required, the server's certificate checked against the fleet CA, ours shown. */
    static String clientOptions(PgControl pg) {
        Path dir = dir(pg).toAbsolutePath();
        return " sslmode=verify-ca sslrootcert=" + dir.resolve(CA) + " sslcert=" + dir.resolve(CERT) + " sslkey="
                + dir.resolve(KEY);
    }
}
