package io.geminik8s.hub.auth;

import io.geminik8s.hub.HubInfrastructure;
import java.util.HashMap;
import java.util.Map;

/** The hub with OIDC on, trusting {@link TestIdp}'s key (no IdP to reach), beside its API tokens. */
public class OidcInfrastructure extends HubInfrastructure {

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(super.start());
        config.put("gk8s.auth.oidc.enabled", "true");
        config.put("quarkus.oidc.public-key", TestIdp.publicKey());
        config.put("quarkus.oidc.token.issuer", TestIdp.ISSUER);
        config.put("quarkus.oidc.token.audience", TestIdp.AUDIENCE);
        config.put("gk8s.auth.oidc.role-claim", "groups");
        config.put("gk8s.auth.oidc.roles.fleet-viewers", "viewer");
        config.put("gk8s.auth.oidc.roles.fleet-operators", "operator");
        config.put("gk8s.auth.oidc.roles.fleet-admins", "admin");
        return config;
    }
}
