package io.geminik8s.hub.auth;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Map;

/**
 * People and tools on the API, prefix {@code gk8s.auth}: bearer tokens, configured only as SHA-256 hashes (the hub
 * never holds the token itself), each with a name (for the audit) and a role.
 * {@code gk8s.auth.tokens.<name>.sha256=<hex>}, {@code gk8s.auth.tokens.<name>.role=viewer|operator}.
 */
@ConfigMapping(prefix = "gk8s.auth")
public interface AuthConfig {

    /** Off only for a trusted, isolated setup; the hub logs a warning when it is. */
    @WithDefault("true")
    boolean enabled();

    Map<String, Token> tokens();

    interface Token {
        String sha256();

        /** viewer: read (GET); operator: read and change. */
        @WithDefault("viewer")
        String role();
    }
}
