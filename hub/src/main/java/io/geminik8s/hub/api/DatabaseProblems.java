package io.geminik8s.hub.api;

import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.net.ConnectException;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * PostgreSQL's failures as problem details: unreachable or too slow is 503 with Retry-After (the caller may retry;
 * nothing was changed by a read, and a change either committed or not); a value it refuses (a data exception,
 * SQLSTATE class 22, e.g. a NUL in a JSON string) is the client's 400. Anything else stays a 500.
 */
public class DatabaseProblems {

    private static final Logger LOG = Logger.getLogger(DatabaseProblems.class);

    @ServerExceptionMapper
    public Response unreachable(ConnectException e, UriInfo uri) {
        return unavailable(uri, "the fleet database is unreachable");
    }

    @ServerExceptionMapper
    public Response closed(ClosedConnectionException e, UriInfo uri) {
        return unavailable(uri, "the connection to the fleet database was lost");
    }

    @ServerExceptionMapper
    public Response slow(io.smallrye.mutiny.TimeoutException e, UriInfo uri) {
        return unavailable(uri, "the fleet database did not answer in time");
    }

    @ServerExceptionMapper
    public Response refused(PgException e, UriInfo uri) {
        if (e.getSqlState() != null && e.getSqlState().startsWith("22")) {
            return ProblemMapper.response(400, "Bad request", "value refused: " + e.getErrorMessage(), uri);
        }
        LOG.errorf("database error on %s: %s (SQLSTATE %s)", uri.getPath(), e.getErrorMessage(), e.getSqlState());
        return ProblemMapper.response(500, "Internal Server Error", "database error (SQLSTATE " + e.getSqlState()
                + ")", uri);
    }

    private static Response unavailable(UriInfo uri, String detail) {
        Response r = ProblemMapper.response(503, "Service Unavailable", detail + "; retry later", uri);
        return Response.fromResponse(r).header("Retry-After", "5").build();
    }
}
