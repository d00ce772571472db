package io.geminik8s.hub.pki;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The fleet PKI, prefix {@code gk8s.pki} (docs/security.md#keys). */
@ConfigMapping(prefix = "gk8s.pki")
public interface PkiConfig {

    /** Folder with the fleet root certificate and the online intermediate (certificate and encrypted key). */
    @WithDefault(".gk8s-data/pki")
    Path dir();

    /** File (0600) holding the passphrase that encrypts the intermediate's key; default {@code <dir>/ca.passphrase}. */
    Optional<Path> passphraseFile();

    /**
     * Create a root and an intermediate at start when the folder has none (the zero-install demo and tests). Off in
     * production: the root is made offline ({@code CaFiles.main init-root}) and only the intermediate comes here.
     */
    @WithDefault("false")
    boolean generate();

    /** Lifetime of a node's certificate. */
    @WithDefault("30d")
    Duration nodeLifetime();

    /** Host names and addresses the broker's server certificate names (its mTLS listener). */
    @WithDefault("localhost,127.0.0.1")
    List<String> brokerHosts();

    default Path passphrase() {
        return passphraseFile().orElse(dir().resolve(CaFiles.PASSPHRASE));
    }
}
