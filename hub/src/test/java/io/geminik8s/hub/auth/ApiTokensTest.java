package io.geminik8s.hub.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.Sha256;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ApiTokensTest {

    record Token(String sha256, String role) implements AuthConfig.Token {
    }

    static AuthConfig config(Map<String, AuthConfig.Token> tokens) {
        return new AuthConfig() {
            public Map<String, Token> tokens() {
                return tokens;
            }

            public int deniedLogsPerMinute() {
                return 1;
            }

            public Oidc oidc() {
                return OidcRolesTest.oidc(false, Map.of());
            }
        };
    }

    @Test
    void rolesIncludeTheLowerOnes() {
        assertEquals(Set.of("viewer"), Roles.implied("viewer"));
        assertEquals(Set.of("viewer", "operator"), Roles.implied("operator"));
        assertEquals(Set.of("viewer", "operator", "admin"), Roles.implied("admin"));
        assertEquals(Set.of(), Roles.implied("root"));
    }

    @Test
    void tokensAreKnownByHashOnly() {
        ApiTokens tokens = new ApiTokens(config(Map.of("noc", new Token(Sha256.hex("secret"), "viewer"))));
        assertEquals(Optional.of(new ApiTokens.Caller("noc", "viewer")), tokens.identify("secret"));
        assertEquals(Optional.empty(), tokens.identify("Secret"));
        assertEquals(Optional.empty(), tokens.identify(""));
    }

    @Test
    void aBadHashOrRoleStopsTheHubInsteadOfDegradingSilently() {
        var badRole = assertThrows(IllegalStateException.class, () -> new ApiTokens(config(Map.of("x",
                new Token(Sha256.hex("s"), "superuser")))));
        assertTrue(badRole.getMessage().contains("gk8s.auth.tokens.x.role"), badRole.getMessage());
        var badHash = assertThrows(IllegalStateException.class, () -> new ApiTokens(config(Map.of("y",
                new Token("abc", "viewer")))));
        assertTrue(badHash.getMessage().contains("gk8s.auth.tokens.y.sha256"), badHash.getMessage());
    }
}
