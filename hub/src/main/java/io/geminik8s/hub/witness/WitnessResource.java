package io.geminik8s.hub.witness;

import io.geminik8s.hub.auth.Roles;
import jakarta.annotation.security.RolesAllowed;
import io.geminik8s.hub.HubConfig;
import io.geminik8s.hub.api.ApiProblem;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** The witness's view of a site for the NOC: current epoch and lease, standby eligibility, every epoch granted. */
@Path("/api/v1/sites/{id}/witness")
@RolesAllowed(Roles.VIEWER)
@Produces(MediaType.APPLICATION_JSON)
public class WitnessResource {

    public record Grant(long epoch, String holder, Instant grantedAt, String reason) {
    }

    public record WitnessView(String site, long epoch, String holder, Instant leaseExpiresAt, String standby,
                              boolean standbyEligible, List<Grant> grants) {
    }

    private static final String STATE = "SELECT epoch, holder, lease_expires_at_ms, standby, standby_eligible"
            + " FROM site_lease WHERE site_id = $1";
    private static final String GRANTS = "SELECT epoch, holder, granted_ms, reason FROM site_epoch_grant"
            + " WHERE site_id = $1 ORDER BY epoch";

    private final Pool pool;
    private final HubConfig config;

    public WitnessResource(Pool pool, HubConfig config) {
        this.pool = pool;
        this.config = config;
    }

    @GET
    @Operation(summary = "The site's witness record", description = "404 until a node of the site asked the witness.")
    public Uni<WitnessView> get(@PathParam("id") String id) {
        return pool.preparedQuery(STATE).execute(Tuple.of(id)).chain(rows -> {
            if (!rows.iterator().hasNext()) {
                return Uni.createFrom().failure(ApiProblem.notFound("no witness record for site '" + id + "'"));
            }
            Row s = rows.iterator().next();
            return pool.preparedQuery(GRANTS).execute(Tuple.of(id)).map(gs -> {
                List<Grant> grants = new ArrayList<>();
                for (Row g : gs) {
                    grants.add(new Grant(g.getLong("epoch"), g.getString("holder"),
                            Instant.ofEpochMilli(g.getLong("granted_ms")), g.getString("reason")));
                }
                long lease = s.getLong("lease_expires_at_ms");
                return new WitnessView(id, s.getLong("epoch"), s.getString("holder"),
                        lease == 0 ? null : Instant.ofEpochMilli(lease), s.getString("standby"),
                        s.getBoolean("standby_eligible"), grants);
            });
        }).ifNoItem().after(config.dbTimeout()).fail();
    }
}
