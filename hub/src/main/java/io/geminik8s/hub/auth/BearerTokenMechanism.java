package io.geminik8s.hub.auth;

import io.quarkus.security.credential.TokenCredential;
import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.AuthenticationRequest;
import io.quarkus.security.identity.request.TokenAuthenticationRequest;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticationMechanism;
import io.quarkus.vertx.http.runtime.security.HttpCredentialTransport;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;

/**
 * {@code Authorization: Bearer <token>}; no header means anonymous, which {@code @RolesAllowed} then refuses. The one
 * entry for bearer tokens: it runs before quarkus-oidc's mechanism and decides every API token itself (known or
 * refused). Only with {@code gk8s.auth.oidc.enabled} does it leave a token shaped like a JWT to quarkus-oidc, which
 * verifies it or refuses it; with OIDC off, quarkus-oidc's default tenant is disabled and never sees a token.
 */
@ApplicationScoped
public class BearerTokenMechanism implements HttpAuthenticationMechanism {

    static final String TYPE = "gk8s-api-token";
    private final boolean oidc;

    public BearerTokenMechanism(AuthConfig config) {
        this.oidc = config.oidc().enabled();
    }

    @Override
    public Uni<SecurityIdentity> authenticate(RoutingContext ctx, IdentityProviderManager identities) {
        String header = ctx.request().getHeader("Authorization");
        if (header == null || header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Uni.createFrom().optional(java.util.Optional.empty());
        }
        String token = header.substring(7).trim();
        if (oidc && Jwt.shaped(token)) {
            return Uni.createFrom().optional(java.util.Optional.empty()); // quarkus-oidc's mechanism is next
        }
        return identities.authenticate(new TokenAuthenticationRequest(new TokenCredential(token, TYPE)));
    }

    /** Before quarkus-oidc's mechanism (default priority + 1), so API tokens never reach it. */
    @Override
    public int getPriority() {
        return DEFAULT_PRIORITY + 100;
    }

    @Override
    public Uni<ChallengeData> getChallenge(RoutingContext ctx) {
        return Uni.createFrom().item(new ChallengeData(401, "WWW-Authenticate", "Bearer"));
    }

    @Override
    public Set<Class<? extends AuthenticationRequest>> getCredentialTypes() {
        return Set.of(TokenAuthenticationRequest.class);
    }

    @Override
    public Uni<HttpCredentialTransport> getCredentialTransport(RoutingContext ctx) {
        return Uni.createFrom().item(new HttpCredentialTransport(HttpCredentialTransport.Type.AUTHORIZATION, "bearer"));
    }
}
