package io.geminik8s.hub.auth;

import io.geminik8s.hub.Sha256;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Authentication and authorization of {@code /api/*}: a bearer token whose SHA-256 matches a configured one (compared
 * in constant time); viewers may read, operators may also change. The caller's name is put on the request for the
 * audit ({@link #USER}). Health, metrics and OpenAPI under {@code /q} stay open (the hub binds to loopback by
 * default; expose them only to the monitoring network).
 */
@ApplicationScoped
public class ApiAuth {

    /** Routing-context key of the authenticated caller's name. */
    public static final String USER = "gk8s.user";
    private static final Logger LOG = Logger.getLogger(ApiAuth.class);

    private final AuthConfig config;

    public ApiAuth(AuthConfig config) {
        this.config = config;
    }

    void install(@Observes Router router) {
        router.route("/api/*").order(-1000).handler(this::check);
    }

    void warn(@Observes StartupEvent ev) {
        if (!config.enabled()) {
            LOG.warn("API authentication is OFF (gk8s.auth.enabled=false): anyone who reaches the port may change the fleet");
        } else if (config.tokens().isEmpty()) {
            LOG.warn("no API tokens configured (gk8s.auth.tokens.<name>.sha256): every API call will be refused");
        }
        config.tokens().forEach((name, t) -> {
            if (!t.sha256().trim().matches("[0-9a-fA-F]{64}")) {
                LOG.errorf("API token '%s': sha256 must be 64 hex digits; the token is ignored", name);
            }
            if (!t.role().equals("viewer") && !t.role().equals("operator")) {
                LOG.errorf("API token '%s': role must be viewer or operator, got '%s'; it may only read", name, t.role());
            }
        });
    }

    private void check(RoutingContext ctx) {
        if (!config.enabled()) {
            ctx.put(USER, "anonymous");
            ctx.next();
            return;
        }
        String header = ctx.request().getHeader("Authorization");
        Optional<Map.Entry<String, AuthConfig.Token>> caller = header != null && header.startsWith("Bearer ")
                ? identify(header.substring(7).trim()) : Optional.empty();
        if (caller.isEmpty()) {
            deny(ctx, 401, "Unauthorized", header == null ? "an API token is required: Authorization: Bearer <token>"
                    : "unknown API token");
            return;
        }
        boolean reading = ctx.request().method().name().equals("GET") || ctx.request().method().name().equals("HEAD");
        if (!reading && !caller.get().getValue().role().equals("operator")) {
            deny(ctx, 403, "Forbidden", "'" + caller.get().getKey() + "' is a " + caller.get().getValue().role()
                    + ": changes need the operator role");
            return;
        }
        ctx.put(USER, caller.get().getKey());
        ctx.next();
    }

    private Optional<Map.Entry<String, AuthConfig.Token>> identify(String token) {
        byte[] hash = Sha256.of(token);
        Map.Entry<String, AuthConfig.Token> found = null;
        for (Map.Entry<String, AuthConfig.Token> e : config.tokens().entrySet()) {
            byte[] expected;
            try {
                expected = HexFormat.of().parseHex(e.getValue().sha256().trim().toLowerCase());
            } catch (IllegalArgumentException bad) {
                continue;
            }
            if (MessageDigest.isEqual(hash, expected)) {
                found = e;
            }
        }
        return Optional.ofNullable(found);
    }

    private static void deny(RoutingContext ctx, int status, String title, String detail) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/problem+json")
                .putHeader("WWW-Authenticate", "Bearer").end(new JsonObject().put("type", "about:blank")
                        .put("title", title).put("status", status).put("detail", detail).encode());
    }
}
