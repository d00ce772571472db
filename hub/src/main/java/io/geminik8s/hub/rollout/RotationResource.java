package io.geminik8s.hub.rollout;

import io.geminik8s.hub.api.Times;
import java.time.Instant;
import io.geminik8s.hub.HubConfig;
import io.geminik8s.hub.api.ApiProblem;
import io.geminik8s.hub.auth.Roles;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** A certificate rotation's nodes: the order they are rotated in and where each one stands. */
@Path("/api/v1/rollouts/{id}/nodes")
@RolesAllowed(Roles.VIEWER)
public class RotationResource {

    /** {@code commandedAt} (the latest send), {@code doneAt}: absent while not yet. */
    public record NodeView(String site, String node, int ord, String role, String fromSerial, String toSerial,
                           Instant commandedAt, Instant doneAt, String outcome, String message) {
    }

    private final Pool pool;
    private final HubConfig config;

    public RotationResource(Pool pool, HubConfig config) {
        this.pool = pool;
        this.config = config;
    }

    @GET
    @Operation(summary = "The nodes of a certificate rotation by site, in the order they are rotated (standby first): "
            + "the serial each renews from and to, when it was commanded and when it was back with its new "
            + "certificate, and its answer; 404 for no such rollout")
    public Uni<List<NodeView>> nodes(@PathParam("id") long id) {
        return pool.preparedQuery("SELECT r.id, n.site_id, n.node_id, n.ord, n.role, n.from_serial, n.to_serial,"
                        + " n.commanded_ms, n.done_ms, n.outcome, n.message FROM rollout r"
                        + " LEFT JOIN rotation_node n ON n.rollout_id = r.id WHERE r.id = $1"
                        + " ORDER BY n.site_id, n.ord").execute(Tuple.of(id))
                .map(rows -> {
                    if (!rows.iterator().hasNext()) {
                        throw ApiProblem.notFound("no rollout " + id);
                    }
                    List<NodeView> out = new ArrayList<>();
                    rows.forEach(r -> {
                        if (r.getString("site_id") != null) {
                            out.add(new NodeView(r.getString("site_id"), r.getString("node_id"),
                                    r.getInteger("ord"), r.getString("role"), r.getString("from_serial"),
                                    r.getString("to_serial"), Times.epochMs(r.getLong("commanded_ms")), Times.epochMs(r.getLong("done_ms")),
                                    r.getString("outcome"), r.getString("message")));
                        }
                    });
                    return out;
                })
                .ifNoItem().after(config.dbTimeout()).fail();
    }
}
