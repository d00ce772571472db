package io.geminik8s.hub.auth;

import io.geminik8s.hub.LogBudget;
import io.geminik8s.hub.api.ProblemMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.core.Response;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.ws.rs.core.UriInfo;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Refusals of Quarkus Security as problem details: 401 (no or unknown token) and 403 (role too low), each counted in
 * {@code gk8s_api_denied_total{status}} and logged at a bounded rate with the caller, method, path and address.
 */
public class DeniedMapper {

    private static final Logger LOG = Logger.getLogger("io.geminik8s.hub.auth.denied");
    private final Counter unauthorized;
    private final Counter forbidden;
    private final LogBudget logs;

    private final SecurityIdentity identity;
    private final boolean oidc;

    public DeniedMapper(MeterRegistry registry, AuthConfig config, SecurityIdentity identity) {
        this.identity = identity;
        this.oidc = config.oidc().enabled();
        unauthorized = Counter.builder("gk8s.api.denied").tag("status", "401")
                .description("API requests refused by authentication (401) or authorization (403)").register(registry);
        forbidden = Counter.builder("gk8s.api.denied").tag("status", "403")
                .description("API requests refused by authentication (401) or authorization (403)").register(registry);
        logs = new LogBudget(config::deniedLogsPerMinute);
    }

    @ServerExceptionMapper
    public Response noToken(UnauthorizedException e, UriInfo uri, HttpServerRequest req) {
        return unauthorized(uri, req, "an API token is required: Authorization: Bearer <token>");
    }

    @ServerExceptionMapper
    public Response badToken(AuthenticationFailedException e, UriInfo uri, HttpServerRequest req) {
        String header = req.getHeader("Authorization");
        boolean jwt = oidc && header != null && header.length() > 7 && Jwt.shaped(header.substring(7).trim());
        return unauthorized(uri, req, jwt ? "the token was not accepted (signature, issuer, audience or expiry)"
                : "unknown API token");
    }

    @ServerExceptionMapper
    public Response lowRole(ForbiddenException e, UriInfo uri, HttpServerRequest req) {
        forbidden.increment();
        String who = identity.isAnonymous() ? "anonymous" : identity.getPrincipal().getName();
        String role = Roles.ORDER.stream().filter(identity::hasRole).reduce((a, b) -> b).orElse("none");
        log(403, who, req);
        return problem(403, "Forbidden", "'" + who + "' is a " + role + ": this needs a higher role ("
                + String.join(" < ", Roles.ORDER) + ")", uri).build();
    }

    private Response unauthorized(UriInfo uri, HttpServerRequest req, String detail) {
        unauthorized.increment();
        log(401, "anonymous", req);
        return problem(401, "Unauthorized", detail, uri).header("WWW-Authenticate", "Bearer").build();
    }

    private void log(int status, String who, HttpServerRequest req) {
        if (logs.allow()) {
            LOG.warnf("denied %d: %s %s by %s from %s", status, req.method(), abbreviate(req.uri()), who,
                    req.remoteAddress());
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    private static Response.ResponseBuilder problem(int status, String title, String detail, UriInfo uri) {
        return Response.fromResponse(ProblemMapper.response(status, title, detail, uri));
    }
}
