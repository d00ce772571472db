package io.geminik8s.hub.backup;

import io.geminik8s.hub.HubConfig;
import io.geminik8s.hub.api.ApiProblem;
import io.geminik8s.hub.auth.Roles;
import io.geminik8s.protocol.RestoreTarget;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgException;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.logging.Logger;

/**
 * A site's point-in-time restores (docs/backup.md): {@code POST} sends {@code backup-restore} to the site's one
 * online primary and records the restore; once the primary answers, {@link RestoreResults} sends
 * {@code standby-rebuild} to the standby. One restore at a time per site.
 */
@Path("/api/v1/sites/{id}/restores")
@RolesAllowed(Roles.VIEWER)
@Produces(MediaType.APPLICATION_JSON)
public class RestoreResource {

    private static final Logger AUDIT = Logger.getLogger("io.geminik8s.hub.audit");
    private static final String SITE = "SELECT 1 FROM site WHERE id = $1";
    private static final String NODES = "SELECT node_id, role FROM node WHERE site_id = $1 AND online"
            + " AND role IN ('primary', 'standby') ORDER BY node_id";
    private static final String EXPIRE = "UPDATE site_restore SET state = 'expired', updated_at = now(), message ="
            + " 'no answer within gk8s.backup.restore-timeout' WHERE site_id = $1"
            + " AND state IN ('restoring', 'rebuilding') AND requested_at < now() - make_interval(secs => $2)";
    private static final String INSERT = "INSERT INTO site_restore (id, site_id, primary_node, standby_node, target,"
            + " requested_by, state) VALUES ($1, $2, $3, $4, $5, $6, 'restoring')";
    static final String COLUMNS = "id, site_id, primary_node, standby_node, target, requested_by, requested_at, state,"
            + " message, updated_at";
    private static final String RECENT = "SELECT " + COLUMNS + " FROM site_restore WHERE site_id = $1"
            + " ORDER BY requested_at DESC LIMIT 20";
    private static final String RUNNING = "SELECT id, requested_at FROM site_restore WHERE site_id = $1"
            + " AND state IN ('restoring', 'rebuilding')";

    private final Pool pool;
    private final HubConfig hub;
    private final BackupConfig config;
    private final RestoreResults results;

    public RestoreResource(Pool pool, HubConfig hub, BackupConfig config, RestoreResults results) {
        this.pool = pool;
        this.hub = hub;
        this.config = config;
        this.results = results;
    }

    @GET
    @Operation(summary = "A site's restores", description = "The 20 most recent point-in-time restores, newest first.")
    public Uni<List<RestoreViews.Restore>> list(@PathParam("id") String id) {
        return site(id).chain(() -> pool.preparedQuery(RECENT).execute(Tuple.of(id))).map(rows -> {
            List<RestoreViews.Restore> out = new ArrayList<>();
            rows.forEach(r -> out.add(restore(r)));
            return out;
        }).ifNoItem().after(hub.dbTimeout()).fail();
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Restore the site to a moment", description = "Sends backup-restore ({\"to\": ISO-8601 time"
            + " with offset}, absent: the last archived WAL) to the site's online primary, then standby-rebuild to the"
            + " standby; 202 with the restore, 400 for a bad time, 409 without exactly one online primary or while"
            + " a restore of the site runs.")
    public Uni<Response> restore(@PathParam("id") String id, java.util.Map<String, Object> body,
                                 @Context SecurityContext caller) {
        Optional<Instant> target;
        try {
            target = RestoreTarget.parse(to(body), Instant.now());
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest(e.getMessage());
        }
        String who = caller.getUserPrincipal().getName();
        return site(id).chain(() -> pool.preparedQuery(NODES).execute(Tuple.of(id))).chain(rows -> {
            List<String> primaries = new ArrayList<>();
            String standby = null;
            for (Row r : rows) {
                if (r.getString("role").equals("primary")) {
                    primaries.add(r.getString("node_id"));
                } else if (standby == null) {
                    standby = r.getString("node_id");
                }
            }
            if (primaries.size() != 1) {
                return Uni.createFrom().failure(new ApiProblem(409, "Conflict", primaries.isEmpty()
                        ? "site '" + id + "' has no online primary to restore on"
                        : "site '" + id + "' has two nodes reporting primary: no restore until that is resolved"));
            }
            String primary = primaries.get(0);
            String restoreId = "restore-" + UUID.randomUUID();
            OffsetDateTime to = target.map(t -> t.atOffset(ZoneOffset.UTC)).orElse(null);
            String peer = standby;
            return pool.withTransaction(tx -> tx.preparedQuery(EXPIRE).execute(Tuple.of(id,
                            (double) config.restoreTimeout().toSeconds()))
                    .chain(() -> tx.preparedQuery(INSERT).execute(Tuple.from(java.util.Arrays.asList(restoreId, id,
                            primary, peer, to, who)))))
                    .onFailure(e -> e instanceof PgException pg && "23505".equals(pg.getSqlState()))
                    .recoverWithUni(e -> running(id))
                    .chain(() -> results.send(id, primary, restoreId, "backup-restore",
                            target.map(t -> java.util.Map.of("to", t.toString())).orElse(java.util.Map.of())))
                    .map(expires -> {
                        AUDIT.infof("restore %s of site %s to %s on %s (standby %s) requested by %s", restoreId, id,
                                to == null ? "latest" : to, primary, peer, who);
                        return Response.accepted(new RestoreViews.Restore(restoreId, id, primary, peer, to, who,
                                OffsetDateTime.now(ZoneOffset.UTC), "restoring", "backup-restore sent, expires "
                                + Instant.ofEpochMilli(expires), OffsetDateTime.now(ZoneOffset.UTC))).build();
                    });
        }).ifNoItem().after(hub.dbTimeout()).fail();
    }

    /**
     * The body's {@code to}; any other field is refused: a misspelt {@code tu} or {@code target} would otherwise
     * restore to the latest, not to the moment meant.
     */
    static String to(java.util.Map<String, Object> body) {
        if (body == null) {
            return null;
        }
        for (String k : body.keySet()) {
            if (!k.equals("to")) {
                throw new IllegalArgumentException("unknown field '" + (k.length() > 40 ? k.substring(0, 40) + "..."
                        : k).replaceAll("[^\\x20-\\x7e]", "?") + "': the body has only 'to'");
            }
        }
        Object to = body.get("to");
        if (to != null && !(to instanceof String)) {
            throw new IllegalArgumentException("to: a string, an ISO-8601 time with its offset");
        }
        return (String) to;
    }

    /** The 409 for a site whose restore runs, naming it. */
    private Uni<io.vertx.mutiny.sqlclient.RowSet<Row>> running(String id) {
        return pool.preparedQuery(RUNNING).execute(Tuple.of(id)).chain(rows -> {
            String which = rows.iterator().hasNext() ? " (" + rows.iterator().next().getString("id") + ", requested "
                    + rows.iterator().next().getOffsetDateTime("requested_at") + ")" : "";
            return Uni.createFrom().failure(new ApiProblem(409, "Conflict", "a restore of site '" + id
                    + "' is running" + which + ": one at a time"));
        });
    }

    private Uni<Void> site(String id) {
        return pool.preparedQuery(SITE).execute(Tuple.of(id)).invoke(rows -> {
            if (!rows.iterator().hasNext()) {
                throw ApiProblem.notFound("no site '" + id + "'");
            }
        }).replaceWithVoid();
    }

    static RestoreViews.Restore restore(Row r) {
        return new RestoreViews.Restore(r.getString("id"), r.getString("site_id"), r.getString("primary_node"),
                r.getString("standby_node"), r.getOffsetDateTime("target"), r.getString("requested_by"),
                r.getOffsetDateTime("requested_at"), r.getString("state"), r.getString("message"),
                r.getOffsetDateTime("updated_at"));
    }
}
