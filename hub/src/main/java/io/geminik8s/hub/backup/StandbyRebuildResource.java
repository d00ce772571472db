package io.geminik8s.hub.backup;

import io.geminik8s.hub.HubConfig;
import io.geminik8s.hub.api.ApiProblem;
import io.geminik8s.hub.auth.Roles;
import io.geminik8s.hub.ingest.IngestClient;
import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.Command;
import io.geminik8s.protocol.SchemaVersion;
import io.geminik8s.protocol.StandbySource;
import io.geminik8s.protocol.Topics;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
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
 * A standby rebuilt now (docs/backup.md): {@code standby-rebuild} to the site's online standby, its data replaced by
 * a fresh base backup of the primary's ({@code from: primary}, the default) or by the backup repository's newest
 * backup and archived WAL ({@code from: repository}: a replaced disk, without loading the primary with a whole copy).
 * The outcome is the standby's {@code ha.rebuild} and {@code ha.rejoined} (or {@code ha.rejoin-failed}) events.
 */
@Path("/api/v1/sites/{id}/standby-rebuilds")
@RolesAllowed(Roles.OPERATOR)
@Produces(MediaType.APPLICATION_JSON)
public class StandbyRebuildResource {

    private static final Logger AUDIT = Logger.getLogger("io.geminik8s.hub.audit");
    private static final String SITE = "SELECT 1 FROM site WHERE id = $1";
    private static final String STANDBY = "SELECT node_id FROM node WHERE site_id = $1 AND online AND role = 'standby'"
            + " ORDER BY node_id LIMIT 1";
    private static final String RESTORING = "SELECT id FROM site_restore WHERE site_id = $1"
            + " AND state IN ('restoring', 'rebuilding')";

    private final Pool pool;
    private final HubConfig hub;
    private final BackupConfig config;
    private final IngestClient down;
    private final Codec codec;

    public StandbyRebuildResource(Pool pool, HubConfig hub, BackupConfig config, IngestClient down, Codec codec) {
        this.pool = pool;
        this.hub = hub;
        this.config = config;
        this.down = down;
        this.codec = codec;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Rebuild the site's standby", description = "Sends standby-rebuild ({\"from\": \"primary\"|"
            + "\"repository\"|\"peer\"}, default primary) to the online standby; 202 with the command, 400 for another source"
            + " or field, 409 with no online standby or while a restore of the site runs.")
    public Uni<Response> rebuild(@PathParam("id") String id, Map<String, Object> body, @Context SecurityContext caller) {
        StandbySource from;
        try {
            from = StandbySource.parse(from(body));
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest(e.getMessage());
        }
        String who = caller.getUserPrincipal().getName();
        return pool.preparedQuery(SITE).execute(Tuple.of(id)).chain(site -> {
            if (!site.iterator().hasNext()) {
                return Uni.createFrom().failure(ApiProblem.notFound("no site '" + id + "'"));
            }
            return pool.preparedQuery(RESTORING).execute(Tuple.of(id));
        }).chain(restoring -> {
            if (restoring.iterator().hasNext()) {
                return Uni.createFrom().failure(new ApiProblem(409, "Conflict", "a restore of site '" + id + "' runs ("
                        + restoring.iterator().next().getString("id") + "); it rebuilds the standby itself"));
            }
            return pool.preparedQuery(STANDBY).execute(Tuple.of(id));
        }).chain(rows -> {
            Row r = rows.iterator().hasNext() ? rows.iterator().next() : null;
            if (r == null) {
                return Uni.createFrom().failure(new ApiProblem(409, "Conflict", "site '" + id
                        + "' has no online standby to rebuild"));
            }
            String node = r.getString("node_id");
            long now = System.currentTimeMillis();
            long expires = now + config.commandTtl().toMillis();
            Command c = new Command(SchemaVersion.CURRENT.toString(), "rebuild-" + UUID.randomUUID(), id, node,
                    "standby-rebuild", Map.of("from", from.wire()), now, expires);
            AUDIT.infof("standby-rebuild %s from %s sent to %s/%s by %s", c.id(), from.wire(), id, node, who);
            return down.publish(Topics.command(id, node), codec.encode(c), false).map(v -> Response.accepted(Map.of(
                    "site", id, "node", node, "from", from.wire(), "commandId", c.id(), "expiresAt",
                    Instant.ofEpochMilli(expires).atOffset(ZoneOffset.UTC).toString())).build());
        }).ifNoItem().after(hub.dbTimeout()).fail();
    }

    /** The body's {@code from}; any other field is refused (a misspelt one would rebuild from the primary). */
    private static String from(Map<String, Object> body) {
        if (body == null) {
            return null;
        }
        for (String k : body.keySet()) {
            if (!k.equals("from")) {
                throw new IllegalArgumentException("unknown field '" + (k.length() > 40 ? k.substring(0, 40) + "..."
                        : k).replaceAll("[^\\x20-\\x7e]", "?") + "': the body has only 'from'");
            }
        }
        Object from = body.get("from");
        if (from != null && !(from instanceof String)) {
            throw new IllegalArgumentException("from: a string, primary, repository or peer");
        }
        return (String) from;
    }
}
