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
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.logging.Logger;

/**
 * A site whose two nodes were both lost, rebuilt from its repository on fresh nodes (docs/backup.md): {@code POST}
 * records the operator's authorization ({@code waiting}); the witness's {@code rebuild} of a fresh node of the site
 * takes it with the next epoch ({@code restoring}, {@link io.geminik8s.hub.witness.WitnessStore}); that node's
 * {@code backup.rebuild-completed} or {@code -failed} event ends it ({@link RebuildStates}, read on every listing).
 */
@Path("/api/v1/sites/{id}/rebuilds")
@RolesAllowed(Roles.VIEWER)
@Produces(MediaType.APPLICATION_JSON)
public class RebuildResource {

    private static final Logger AUDIT = Logger.getLogger("io.geminik8s.hub.audit");
    private static final String SITE = "SELECT 1 FROM site WHERE id = $1";
    private static final String ONLINE = "SELECT string_agg(node_id, ', ' ORDER BY node_id) AS nodes FROM node"
            + " WHERE site_id = $1 AND online";
    private static final String CONFIGURED = "SELECT 1 FROM node_event WHERE site_id = $1"
            + " AND type = 'backup.configured' LIMIT 1";
    private static final String INSERT = "INSERT INTO site_rebuild (id, site_id, target, requested_by, expires_at,"
            + " state) VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5), 'waiting')"
            + " RETURNING requested_at, expires_at";
    static final String COLUMNS = "id, site_id, target, requested_by, requested_at, expires_at, state, node_id, epoch,"
            + " granted_at, message, updated_at";
    private static final String RECENT = "SELECT " + COLUMNS + " FROM site_rebuild WHERE site_id = $1"
            + " ORDER BY requested_at DESC LIMIT 20";
    private static final String WAITING = "SELECT id, expires_at FROM site_rebuild WHERE site_id = $1"
            + " AND state = 'waiting'";

    /**
     * One rebuild: {@code state} waiting (authorized, no node took it yet), restoring ({@code node} holds
     * {@code epoch} and restores), done, failed or expired; {@code to} null for the last archived WAL.
     */
    public record Rebuild(String id, String site, OffsetDateTime to, String requestedBy, OffsetDateTime requestedAt,
                          OffsetDateTime expiresAt, String state, String node, Long epoch, OffsetDateTime grantedAt,
                          String message, OffsetDateTime updatedAt) {
    }

    private final Pool pool;
    private final HubConfig hub;
    private final BackupConfig config;

    public RebuildResource(Pool pool, HubConfig hub, BackupConfig config) {
        this.pool = pool;
        this.hub = hub;
        this.config = config;
    }

    @GET
    @Operation(summary = "A site's rebuilds", description = "The 20 most recent rebuilds of the site from its"
            + " repository after both nodes were lost, newest first.")
    public Uni<List<Rebuild>> list(@PathParam("id") String id) {
        return site(id).chain(() -> RebuildStates.refresh(pool, id, config))
                .chain(() -> pool.preparedQuery(RECENT).execute(Tuple.of(id))).map(rows -> {
                    List<Rebuild> out = new ArrayList<>();
                    rows.forEach(r -> out.add(rebuild(r)));
                    return out;
                }).ifNoItem().after(hub.dbTimeout()).fail();
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Rebuild a site whose nodes were both lost", description = "Authorizes the next node of the"
            + " site that bootstraps with an empty disk as primary to restore the site from its backup repository"
            + " ({\"to\": ISO-8601 time with offset}, absent: the last archived WAL) and take the next epoch. 202 with"
            + " the rebuild (waiting); 400 for a bad body; 409 while a node of the site is online, without backups set"
            + " up (no backup.configured event) or while a rebuild waits.")
    public Uni<Response> rebuild(@PathParam("id") String id, Map<String, Object> body,
                                 @Context SecurityContext caller) {
        Optional<Instant> target;
        try {
            target = RestoreTarget.parse(RestoreResource.to(body), Instant.now());
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest(e.getMessage());
        }
        String who = caller.getUserPrincipal().getName();
        OffsetDateTime to = target.map(t -> t.atOffset(ZoneOffset.UTC)).orElse(null);
        String rebuildId = "rebuild-" + UUID.randomUUID();
        return site(id).chain(() -> pool.preparedQuery(ONLINE).execute(Tuple.of(id))).invoke(rows -> {
            String online = rows.iterator().next().getString("nodes");
            if (online != null) {
                throw new ApiProblem(409, "Conflict", "site '" + id + "' has nodes online (" + online + "): a rebuild"
                        + " is for a site whose nodes were both lost; restore a running site with gk8s backup restore");
            }
        }).chain(() -> pool.preparedQuery(CONFIGURED).execute(Tuple.of(id))).invoke(rows -> {
            if (!rows.iterator().hasNext()) {
                throw new ApiProblem(409, "Conflict", "site '" + id + "' never set backups up (no backup.configured"
                        + " event): there is no repository to rebuild it from");
            }
        }).chain(() -> RebuildStates.refresh(pool, id, config))
                .chain(() -> pool.preparedQuery(INSERT).execute(Tuple.from(java.util.Arrays.asList(rebuildId, id, to,
                        who, (double) config.rebuildTtl().toSeconds()))))
                .onFailure(e -> e instanceof PgException pg && "23505".equals(pg.getSqlState()))
                .recoverWithUni(e -> waiting(id))
                .map(rows -> {
                    Row r = rows.iterator().next();
                    AUDIT.infof("rebuild %s of site %s to %s requested by %s, waiting until %s", rebuildId, id,
                            to == null ? "latest" : to, who, r.getOffsetDateTime("expires_at"));
                    return Response.accepted(new Rebuild(rebuildId, id, to, who, r.getOffsetDateTime("requested_at"),
                            r.getOffsetDateTime("expires_at"), "waiting", null, null, null, "the next node of the site"
                            + " that starts with an empty disk as primary restores it from the repository", r
                            .getOffsetDateTime("requested_at"))).build();
                }).ifNoItem().after(hub.dbTimeout()).fail();
    }

    /** The 409 for a site whose rebuild already waits, naming it. */
    private Uni<io.vertx.mutiny.sqlclient.RowSet<Row>> waiting(String id) {
        return pool.preparedQuery(WAITING).execute(Tuple.of(id)).chain(rows -> {
            String which = rows.iterator().hasNext() ? " (" + rows.iterator().next().getString("id") + ", until "
                    + rows.iterator().next().getOffsetDateTime("expires_at") + ")" : "";
            return Uni.createFrom().failure(new ApiProblem(409, "Conflict", "a rebuild of site '" + id
                    + "' is already waiting for a node" + which));
        });
    }

    private Uni<Void> site(String id) {
        return pool.preparedQuery(SITE).execute(Tuple.of(id)).invoke(rows -> {
            if (!rows.iterator().hasNext()) {
                throw ApiProblem.notFound("no site '" + id + "'");
            }
        }).replaceWithVoid();
    }

    static Rebuild rebuild(Row r) {
        return new Rebuild(r.getString("id"), r.getString("site_id"), r.getOffsetDateTime("target"),
                r.getString("requested_by"), r.getOffsetDateTime("requested_at"), r.getOffsetDateTime("expires_at"),
                r.getString("state"), r.getString("node_id"), r.getLong("epoch"), r.getOffsetDateTime("granted_at"),
                r.getString("message"), r.getOffsetDateTime("updated_at"));
    }
}
