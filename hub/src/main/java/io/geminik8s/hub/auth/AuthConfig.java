package io.geminik8s.hub.auth;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Map;

/**
 * People and tools on the API, prefix {@code gk8s.auth}: bearer tokens, configured only as SHA-256 hashes (the hub
 * never holds the token itself), each with a name (for the audit) and a role ({@link Roles}).
 * {@code gk8s.auth.tokens.<name>.sha256=<hex>}, {@code gk8s.auth.tokens.<name>.role=viewer|operator|admin}.
 * There is no switch to turn authentication off.
 */
@ConfigMapping(prefix = "gk8s.auth")
public interface AuthConfig {

    Map<String, Token> tokens();

    /** Denied requests (401/403) logged per minute at most; all are counted in gk8s_api_denied_total. */
    @WithDefault("20")
    int deniedLogsPerMinute();

    interface Token {
        String sha256();

        @WithDefault("viewer")
        String role();
    }
}
