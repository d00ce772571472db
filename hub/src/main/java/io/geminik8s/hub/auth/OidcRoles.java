package io.geminik8s.hub.auth;

import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.SecurityIdentityAugmentor;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.json.JsonArray;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * The roles of a person signed in through OIDC: only what {@code gk8s.auth.oidc.roles} maps the token's
 * {@code gk8s.auth.oidc.role-claim} values to (and the roles that one includes). Whatever roles quarkus-oidc read
 * from the token itself are dropped, so a group called {@code admin} at the IdP is nobody's admin here unless mapped.
 * API-token identities pass unchanged.
 */
@ApplicationScoped
public class OidcRoles implements SecurityIdentityAugmentor {

    private final String claim;
    private final Map<String, String> mapping;

    public OidcRoles(AuthConfig config) {
        claim = config.oidc().roleClaim();
        mapping = Map.copyOf(config.oidc().roles());
        List<String> problems = new ArrayList<>();
        mapping.forEach((value, role) -> {
            if (Roles.implied(role).isEmpty()) {
                problems.add("gk8s.auth.oidc.roles.\"" + value + "\" must be one of " + Roles.ORDER + ", got '" + role
                        + "'");
            }
        });
        if (!problems.isEmpty()) {
            throw new IllegalStateException("OIDC role configuration: " + String.join("; ", problems));
        }
    }

    /** After every other augmentor: nothing adds roles to a person behind this. */
    @Override
    public int priority() {
        return Integer.MIN_VALUE;
    }

    @Override
    public Uni<SecurityIdentity> augment(SecurityIdentity identity, AuthenticationRequestContext context) {
        if (identity.isAnonymous() || !(identity.getPrincipal() instanceof JsonWebToken jwt)) {
            return Uni.createFrom().item(identity);
        }
        QuarkusSecurityIdentity.Builder b = QuarkusSecurityIdentity.builder().setPrincipal(jwt)
                .addCredentials(identity.getCredentials()).addAttributes(identity.getAttributes())
                .addRoles(Roles.implied(role(jwt)));
        return Uni.createFrom().item(b.build());
    }

    /** The highest role the token's claim values map to; "" for none. */
    String role(JsonWebToken jwt) {
        int best = -1;
        for (String value : values(jwt.getClaim(claim))) {
            String role = mapping.get(value);
            best = role == null ? best : Math.max(best, Roles.ORDER.indexOf(role));
        }
        return best < 0 ? "" : Roles.ORDER.get(best);
    }

    private static Collection<String> values(Object claimValue) {
        if (claimValue instanceof String s) {
            return Set.of(s);
        }
        if (claimValue instanceof JsonString s) {
            return Set.of(s.getString());
        }
        List<String> out = new ArrayList<>();
        if (claimValue instanceof JsonArray array) {
            for (JsonValue v : array) {
                if (v instanceof JsonString s) {
                    out.add(s.getString());
                }
            }
        } else if (claimValue instanceof Collection<?> c) {
            c.stream().filter(String.class::isInstance).map(String.class::cast).forEach(out::add);
        }
        return out;
    }
}
