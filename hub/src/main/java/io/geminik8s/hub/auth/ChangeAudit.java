package io.geminik8s.hub.auth;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/**
 * One audit line per change through the API (every method but GET/HEAD/OPTIONS), with the caller and the outcome.
 * Rollouts and template revisions also record their caller in PostgreSQL.
 */
public class ChangeAudit {

    private static final Logger LOG = Logger.getLogger("io.geminik8s.hub.audit");

    @ServerResponseFilter
    public void audit(ContainerRequestContext req, ContainerResponseContext res) {
        String method = req.getMethod();
        if (method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS")) {
            return;
        }
        var principal = req.getSecurityContext().getUserPrincipal();
        String path = req.getUriInfo().getPath();
        LOG.infof("%s %s by %s -> %d", method, path.length() > 200 ? path.substring(0, 200) + "..." : path,
                principal == null ? "anonymous" : principal.getName(), res.getStatus());
    }
}
