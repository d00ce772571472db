package io.geminik8s.hub.enrollment;

import io.geminik8s.hub.api.ApiProblem;
import io.geminik8s.hub.auth.Roles;
import io.geminik8s.hub.ingest.IngestClient;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.logging.Logger;

/**
 * Revoking a node's certificate (admin): recorded in PostgreSQL, then told to the broker as a retained message on
 * {@code gk8s/v1/hub/revoked/<serial>} — with every certificate renewed from it — which the embedded broker's access control refuses at CONNECT and uses to
 * drop the live connection. Idempotent: repeat it when the broker was not reached.
 */
@Path("/api/v1/enrollments/{serial}/revoke")
@Produces(MediaType.APPLICATION_JSON)
public class RevocationResource {

    /** {@code serials}: this one and those renewed from it; {@code broker}: the broker acknowledged them all. */
    public record Revoked(String serial, String site, String node, Instant revokedAt, List<String> serials,
                          boolean broker) {
    }

    static final String TOPIC_PREFIX = "gk8s/v1/hub/revoked/";
    private static final Pattern SERIAL = Pattern.compile("[0-9a-f]{1,40}");
    private static final Logger LOG = Logger.getLogger(RevocationResource.class);

    private final EnrollmentStore store;
    private final IngestClient mqtt;

    public RevocationResource(EnrollmentStore store, IngestClient mqtt) {
        this.store = store;
        this.mqtt = mqtt;
    }

    @POST
    @RolesAllowed(Roles.ADMIN)
    @Operation(summary = "Revoke a node's certificate: refused at connect, its live connection dropped",
            description = "With renewals=true (default) also every certificate renewed from it (a stolen key's"
                    + " renewals); renewals=false for retiring a replaced certificate. 200 once the broker acknowledged; 503 when it was recorded but the broker was not reached"
                    + " (repeat the call); 404 for an unknown serial.")
    public Uni<Revoked> revoke(@PathParam("serial") String serial,
                               @QueryParam("renewals") @DefaultValue("true") boolean renewals) {
        if (!SERIAL.matcher(serial).matches()) {
            throw ApiProblem.badRequest("serial: lower-case hex, as listed by GET /api/v1/enrollments");
        }
        return store.revoke(serial, renewals, Instant.now()).chain(rows -> {
            if (rows.isEmpty()) {
                return Uni.createFrom().failure(ApiProblem.notFound("no certificate with serial " + serial));
            }
            var row = rows.get(0);
            List<String> serials = rows.stream().map(x -> x.getString("serial")).toList();
            Revoked r = new Revoked(serial, row.getString("site_id"), row.getString("node_id"),
                    Instant.ofEpochMilli(row.getLong("revoked_ms")), serials, true);
            LOG.infof("revoked certificates %s of %s/%s", serials, r.site(), r.node());
            byte[] who = (r.site() + "/" + r.node()).getBytes(StandardCharsets.UTF_8);
            return Multi.createFrom().iterable(serials).onItem().transformToUniAndConcatenate(
                            s -> mqtt.publish(TOPIC_PREFIX + s, who, true)).collect().last().replaceWith(r)
                    .onFailure().transform(e -> new ApiProblem(503, "Service unavailable",
                            "revocation recorded, but the broker was not told (" + e.getMessage() + "): repeat the call"));
        });
    }
}
