package io.geminik8s.hub.auth;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Map;

/**
 * People and tools on the API, prefix {@code gk8s.auth}: bearer tokens, configured only as SHA-256 hashes (the hub
 * never holds the token itself), each with a name (for the audit) and a role ({@link Roles}).
 * {@code gk8s.auth.tokens.<name>.sha256=<hex>}, {@code gk8s.auth.tokens.<name>.role=viewer|operator|admin}.
 * People may instead present a JWT from the organisation's IdP ({@code gk8s.auth.oidc.*}, {@link OidcRoles}).
 * There is no switch to turn authentication off.
 */
@ConfigMapping(prefix = "gk8s.auth")
public interface AuthConfig {

    Map<String, Token> tokens();

    /** Denied requests (401/403) logged per minute at most; all are counted in gk8s_api_denied_total. */
    @WithDefault("20")
    int deniedLogsPerMinute();

    /** People through the organisation's identity provider (OIDC JWT bearer tokens); off by default. */
    Oidc oidc();

    interface Oidc {
        /**
         * Verify bearer tokens shaped like a JWT with {@code quarkus-oidc} ({@code quarkus.oidc.*}: the IdP, issuer,
         * audience); every other bearer token stays an API token.
         */
        @WithDefault("false")
        boolean enabled();

        /** The token claim (top level; a string or an array of strings) whose values {@link #roles()} maps. */
        @WithDefault("groups")
        String roleClaim();

        /**
         * Claim value to role: {@code gk8s.auth.oidc.roles."<value>"=viewer|operator|admin}. Values not listed give
         * nothing; the highest role a token's values map to is its role.
         */
        Map<String, String> roles();
    }

    interface Token {
        String sha256();

        @WithDefault("viewer")
        String role();
    }
}
