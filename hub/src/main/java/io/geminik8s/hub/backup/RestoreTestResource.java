package io.geminik8s.hub.backup;

import io.geminik8s.hub.HubConfig;
import io.geminik8s.hub.api.ApiProblem;
import io.geminik8s.hub.auth.Roles;
import io.geminik8s.hub.ingest.IngestClient;
import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.Command;
import io.geminik8s.protocol.SchemaVersion;
import io.geminik8s.protocol.Topics;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.logging.Logger;

/**
 * A restore test now (docs/backup.md): {@code backup-verify} to the site's online standby (it restores the newest
 * backup into a scratch copy beside its data, starts and checks it, without loading the primary), or to the primary
 * when no standby is online. The outcome is the node's {@code backup.restore-tested} or
 * {@code backup.restore-test-failed} event, shown as {@code lastRestoreTest} in the site's backups.
 */
@Path("/api/v1/sites/{id}/restore-tests")
@RolesAllowed(Roles.OPERATOR)
@Produces(MediaType.APPLICATION_JSON)
public class RestoreTestResource {

    private static final Logger AUDIT = Logger.getLogger("io.geminik8s.hub.audit");
    private static final String SITE = "SELECT 1 FROM site WHERE id = $1";
    private static final String NODE = "SELECT node_id FROM node WHERE site_id = $1 AND online"
            + " AND role IN ('standby', 'primary') ORDER BY role DESC, node_id LIMIT 1";

    private final Pool pool;
    private final HubConfig hub;
    private final BackupConfig config;
    private final IngestClient down;
    private final Codec codec;

    public RestoreTestResource(Pool pool, HubConfig hub, BackupConfig config, IngestClient down, Codec codec) {
        this.pool = pool;
        this.hub = hub;
        this.config = config;
        this.down = down;
        this.codec = codec;
    }

    @POST
    @Operation(summary = "Test a restore now", description = "Sends backup-verify to the online standby (else the"
            + " primary); 202 with the command, 409 with no online node.")
    public Uni<Response> test(@PathParam("id") String id, @Context SecurityContext caller) {
        return pool.preparedQuery(SITE).execute(Tuple.of(id)).chain(site -> {
            if (!site.iterator().hasNext()) {
                return Uni.createFrom().failure(ApiProblem.notFound("no site '" + id + "'"));
            }
            return pool.preparedQuery(NODE).execute(Tuple.of(id));
        }).chain(rows -> {
            Row r = rows.iterator().hasNext() ? rows.iterator().next() : null;
            if (r == null) {
                return Uni.createFrom().failure(new ApiProblem(409, "Conflict", "site '" + id
                        + "' has no online node to test a restore on"));
            }
            String node = r.getString("node_id");
            long now = System.currentTimeMillis();
            long expires = now + config.commandTtl().toMillis();
            Command c = new Command(SchemaVersion.CURRENT.toString(), "verify-" + UUID.randomUUID(), id, node,
                    "backup-verify", Map.of(), now, expires);
            AUDIT.infof("backup-verify %s sent to %s/%s by %s", c.id(), id, node, caller.getUserPrincipal().getName());
            return down.publish(Topics.command(id, node), codec.encode(c), false).map(v -> Response.accepted(Map.of(
                    "site", id, "node", node, "commandId", c.id(), "expiresAt",
                    Instant.ofEpochMilli(expires).atOffset(ZoneOffset.UTC).toString())).build());
        }).ifNoItem().after(hub.dbTimeout()).fail();
    }
}
