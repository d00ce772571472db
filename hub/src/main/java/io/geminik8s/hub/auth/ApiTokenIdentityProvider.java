package io.geminik8s.hub.auth;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.TokenAuthenticationRequest;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** Turns a bearer token into the caller's identity with its role and every role that role includes. */
@ApplicationScoped
public class ApiTokenIdentityProvider implements IdentityProvider<TokenAuthenticationRequest> {

    private final ApiTokens tokens;

    public ApiTokenIdentityProvider(ApiTokens tokens) {
        this.tokens = tokens;
    }

    @Override
    public Class<TokenAuthenticationRequest> getRequestType() {
        return TokenAuthenticationRequest.class;
    }

    /**
     * Only tokens {@link BearerTokenMechanism} hands over as API tokens: quarkus-oidc sends its JWTs through the same
     * request type, and those must reach its provider (no identity from here lets the manager ask the next one; its
     * provider likewise passes over credentials that are not its own, so the order of the two does not matter).
     */
    @Override
    public Uni<SecurityIdentity> authenticate(TokenAuthenticationRequest request, AuthenticationRequestContext ctx) {
        if (!BearerTokenMechanism.TYPE.equals(request.getToken().getType())) {
            return Uni.createFrom().nullItem();
        }
        return tokens.identify(request.getToken().getToken())
                .map(c -> Uni.createFrom().<SecurityIdentity>item(QuarkusSecurityIdentity.builder()
                        .setPrincipal(new QuarkusPrincipal(c.name())).addRoles(Roles.implied(c.role()))
                        .addCredential(request.getToken()).build()))
                .orElseGet(() -> Uni.createFrom().failure(new AuthenticationFailedException("unknown API token")));
    }
}
