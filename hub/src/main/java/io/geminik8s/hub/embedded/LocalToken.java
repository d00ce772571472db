package io.geminik8s.hub.embedded;

import io.geminik8s.hub.Sha256;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;

/**
 * The zero-install hub's own operator token: made once, kept in {@code <data>/api-token} (readable by its owner
 * only), registered as the API token {@code local} (only its hash). Whoever can read the data folder can run the
 * fleet — the same trust as for the database files next to it.
 */
final class LocalToken {

    private LocalToken() {
    }

    static void install(Path data) {
        Path file = data.resolve("api-token");
        try {
            if (!Files.exists(file)) {
                byte[] raw = new byte[32];
                new SecureRandom().nextBytes(raw);
                Files.writeString(file, Base64.getUrlEncoder().withoutPadding().encodeToString(raw) + "\n");
                Files.setPosixFilePermissions(file, Set.of(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE));
            }
            String token = Files.readString(file).trim();
            System.setProperty("gk8s.auth.tokens.local.sha256", Sha256.hex(token));
            System.setProperty("gk8s.auth.tokens.local.role", "admin");
            System.out.printf("gk8s: API token (admin) in %s: curl -H \"Authorization: Bearer $(cat %s)\" ...%n",
                    file, file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the local API token in " + data, e);
        }
    }
}
