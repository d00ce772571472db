package io.geminik8s.hub.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which bearer tokens go to OIDC, and how a claim's values become a role (no Quarkus; OidcTokensTest runs the hub). */
class OidcRolesTest {

    static AuthConfig.Oidc oidc(boolean enabled, Map<String, String> roles) {
        return new AuthConfig.Oidc() {
            public boolean enabled() {
                return enabled;
            }

            public String roleClaim() {
                return "groups";
            }

            public Map<String, String> roles() {
                return roles;
            }
        };
    }

    private static AuthConfig config(Map<String, String> roles) {
        return new AuthConfig() {
            public Map<String, Token> tokens() {
                return Map.of();
            }

            public int deniedLogsPerMinute() {
                return 1;
            }

            public Oidc oidc() {
                return OidcRolesTest.oidc(true, roles);
            }
        };
    }

    private static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void onlyJwtShapedTokensAreLeftToOidc() {
        String header = b64("{\"alg\":\"RS256\"}");
        assertTrue(Jwt.shaped(header + "." + b64("{}") + ".c2ln"));
        assertTrue(Jwt.shaped(b64("{\"alg\":\"none\"}") + "." + b64("{}") + "."), "alg=none goes to OIDC to be refused");
        // what `head -c 32 /dev/urandom | base64 | tr -d '=+/'` makes, and other non-JWTs, stay API tokens
        assertFalse(Jwt.shaped("k3J9dQ2mZ0x7VbLr8aYtPq4sWn6Ue1HcGfDoXiKj"));
        assertFalse(Jwt.shaped("a.b.c"));
        assertFalse(Jwt.shaped(header + "." + b64("{}")));
        assertFalse(Jwt.shaped(header + ".x.y.z"));
        assertFalse(Jwt.shaped("." + b64("{}") + ".sig"));
        assertFalse(Jwt.shaped("%%%.b.c"));
    }

    @Test
    void aMisspeltRoleInTheMappingStopsTheHub() {
        var e = assertThrows(IllegalStateException.class, () -> new OidcRoles(config(Map.of("ops", "root"))));
        assertTrue(e.getMessage().contains("gk8s.auth.oidc.roles.\"ops\""), e.getMessage());
        assertEquals(Map.of("ops", "operator"), Map.copyOf(config(Map.of("ops", "operator")).oidc().roles()));
    }
}
