package io.geminik8s.hub.auth;

import io.geminik8s.hub.Sha256;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/** The configured API tokens, checked at start (a bad hash or role stops the hub) and matched in constant time. */
@ApplicationScoped
public class ApiTokens {

    /** A known caller: its name for the audit and its role. */
    public record Caller(String name, String role) {
    }

    private record Known(Caller caller, byte[] sha256) {
    }

    private static final Logger LOG = Logger.getLogger(ApiTokens.class);
    private final List<Known> known = new ArrayList<>();

    public ApiTokens(AuthConfig config) {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, AuthConfig.Token> e : config.tokens().entrySet()) {
            String hex = e.getValue().sha256().trim().toLowerCase();
            if (!hex.matches("[0-9a-f]{64}")) {
                problems.add("gk8s.auth.tokens." + e.getKey() + ".sha256 must be 64 hex digits");
            } else if (Roles.implied(e.getValue().role()).isEmpty()) {
                problems.add("gk8s.auth.tokens." + e.getKey() + ".role must be one of " + Roles.ORDER + ", got '"
                        + e.getValue().role() + "'");
            } else {
                known.add(new Known(new Caller(e.getKey(), e.getValue().role()), HexFormat.of().parseHex(hex)));
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("API token configuration: " + String.join("; ", problems));
        }
    }

    void warn(@Observes StartupEvent ev) {
        if (known.isEmpty()) {
            LOG.warn("no API tokens configured (gk8s.auth.tokens.<name>.sha256): every API call will be refused");
        }
    }

    /** The caller a token belongs to; every configured hash is compared, so timing does not tell which matched. */
    public Optional<Caller> identify(String token) {
        byte[] hash = Sha256.of(token);
        Caller found = null;
        for (Known k : known) {
            if (MessageDigest.isEqual(hash, k.sha256())) {
                found = k.caller();
            }
        }
        return Optional.ofNullable(found);
    }
}
