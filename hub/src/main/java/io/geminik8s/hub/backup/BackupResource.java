package io.geminik8s.hub.backup;

import io.geminik8s.protocol.BackupSpec;
import io.geminik8s.protocol.Schedule;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
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
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.logging.Logger;

/**
 * A site's backups (docs/backup.md): what its nodes' backup events say, and a backup now, sent to the site's online
 * primary as the {@code backup-run} command (the agent answers with a result once the backup is taken or failed).
 */
@Path("/api/v1/sites/{id}/backups")
@RolesAllowed(Roles.VIEWER)
@Produces(MediaType.APPLICATION_JSON)
public class BackupResource {

    private static final Logger LOG = Logger.getLogger(BackupResource.class);
    static final String TYPES = "('backup.configured', 'backup.completed', 'backup.failed')";
    private static final String SITE = "SELECT 1 FROM site WHERE id = $1";
    private static final String NEWEST = "SELECT DISTINCT ON (type) node_id, ts, type, message, attrs::text AS attrs,"
            + " min(ts) OVER () AS first FROM node_event WHERE site_id = $1 AND type IN " + TYPES
            + " ORDER BY type, ts DESC";
    private static final String RECENT = "SELECT node_id, ts, type, message, attrs::text AS attrs FROM node_event"
            + " WHERE site_id = $1 AND type IN ('backup.completed', 'backup.failed') ORDER BY ts DESC LIMIT 20";
    private static final String ARCHIVE = "SELECT node_id, ts, type, message, attrs::text AS attrs FROM node_event"
            + " WHERE site_id = $1 AND type = 'backup.archive' ORDER BY ts DESC LIMIT 1";
    private static final String TESTED = "SELECT node_id, ts, type, message, attrs::text AS attrs FROM node_event"
            + " WHERE site_id = $1 AND type IN ('backup.restore-tested', 'backup.restore-test-failed')"
            + " ORDER BY ts DESC LIMIT 1";
    private static final String PASSED = "SELECT node_id, ts, type, message, attrs::text AS attrs,"
            + " (SELECT min(ts) FROM node_event g WHERE g.site_id = $1 AND g.type = 'backup.completed') AS first_good"
            + " FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT * FROM node_event WHERE site_id = $1"
            + " AND type = 'backup.restore-tested' ORDER BY ts DESC LIMIT 1) e ON true";
    private static final String DROPPED = "SELECT " + BackupGauges.BACKUPS_DROPPED.formatted("$1") + " AS dropped";
    private static final String PEER = "SELECT DISTINCT ON (type) node_id, ts, type, message, attrs::text AS attrs"
            + " FROM node_event WHERE site_id = $1 AND type IN ('backup.peer-completed', 'backup.peer-failed')"
            + " ORDER BY type, ts DESC";
    private static final String SCHEDULE = "SELECT (t.spec -> 'spec' -> 'backup')::text AS backup FROM site_binding b"
            + " JOIN template_revision t ON t.name = b.template AND t.revision = b.revision WHERE b.site_id = $1";
    /** The online nodes reporting primary, and which of them holds the witness's current epoch. */
    private static final String PRIMARY = "SELECT n.node_id, n.node_id IS NOT DISTINCT FROM l.holder AS holds"
            + " FROM node n LEFT JOIN site_lease l ON l.site_id = n.site_id"
            + " WHERE n.site_id = $1 AND n.online AND n.role = 'primary' ORDER BY n.node_id";
    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {
    };

    private final Pool pool;
    private final HubConfig hub;
    private final BackupConfig config;
    private final IngestClient down;
    private final Codec codec;
    private final ObjectMapper json;

    public BackupResource(Pool pool, HubConfig hub, BackupConfig config, IngestClient down, Codec codec) {
        this.pool = pool;
        this.hub = hub;
        this.config = config;
        this.down = down;
        this.codec = codec;
        this.json = codec.mapper();
    }

    @GET
    @Operation(summary = "A site's backups", description = "The newest good backup and failure, stale or not, and "
            + "the recent backup events of its nodes (docs/backup.md).")
    public Uni<BackupViews.SiteBackups> get(@PathParam("id") String id) {
        // one connection, its queries pipelined: the pool is the ingest's too
        return site(id).chain(() -> pool.withConnection(c -> Uni.combine().all().unis(rows(c, NEWEST, id),
                rows(c, DROPPED, id), rows(c, ARCHIVE, id), rows(c, TESTED, id), rows(c, RECENT, id),
                restoreTests(c, id), peer(c, id)).asTuple()))
                .map(t -> view(id, t.getItem1(), t.getItem2().iterator().next().getBoolean("dropped"),
                        first(t.getItem3()).map(r -> archive(event(r))).orElse(null),
                        first(t.getItem4()).map(this::event).orElse(null), t.getItem5(), t.getItem6(), t.getItem7()))
                .ifNoItem().after(hub.dbTimeout()).fail();
    }

    /**
     * The view from the newest good backup and failure ({@code newest}): configured once a node reported backups,
     * unless the bound template dropped {@code spec.backup}; stale when configured and the newest good backup (or,
     * without one, the first report) is older than {@code gk8s.backup.stale-after}.
     */
    private BackupViews.SiteBackups view(String id, RowSet<Row> newest, boolean dropped, BackupViews.Archive archive,
                                         BackupViews.BackupEvent tested, RowSet<Row> recentRows,
                                         BackupViews.RestoreTests tests, BackupViews.PeerBackups peer) {
        BackupViews.BackupEvent good = null;
        BackupViews.BackupEvent failure = null;
        OffsetDateTime first = null;
        for (Row r : newest) {
            first = r.getOffsetDateTime("first");
            switch (r.getString("type")) {
                case "backup.completed" -> good = event(r);
                case "backup.failed" -> failure = event(r);
                default -> { }
            }
        }
        boolean configured = first != null && !dropped;
        OffsetDateTime since = configured ? (good != null ? good.at() : first).plus(config.staleAfter()) : null;
        boolean stale = since != null && since.isBefore(OffsetDateTime.now(ZoneOffset.UTC));
        List<BackupViews.BackupEvent> recent = new ArrayList<>();
        recentRows.forEach(r -> recent.add(event(r)));
        BackupViews.RestoreTests restoreTests = dropped ? new BackupViews.RestoreTests(tests.schedule(),
                tests.lastPassed(), false, null) : tests; // no backups taken: no restore test owed (as the gauge)
        return new BackupViews.SiteBackups(id, configured, stale, stale ? since : null, good, failure, archive, tested,
                recent, restoreTests, peer);
    }

    private static Uni<RowSet<Row>> rows(SqlClient c, String sql, String id) {
        return c.preparedQuery(sql).execute(Tuple.of(id));
    }

    private static java.util.Optional<Row> first(RowSet<Row> rows) {
        return rows.iterator().hasNext() ? java.util.Optional.of(rows.iterator().next()) : java.util.Optional.empty();
    }

    private Uni<BackupViews.PeerBackups> peer(SqlClient c, String id) {
        return c.preparedQuery(PEER).execute(Tuple.of(id)).map(rows -> {
            BackupViews.BackupEvent good = null;
            BackupViews.BackupEvent failure = null;
            for (Row r : rows) {
                if (r.getString("type").equals("backup.peer-completed")) {
                    good = event(r);
                } else {
                    failure = event(r);
                }
            }
            return good == null && failure == null ? null : new BackupViews.PeerBackups(good, failure);
        });
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Take a backup now", description = "Sends backup-run (type full, diff or incr; default incr) "
            + "to the site's online primary (of two, the one holding the witness's epoch); 202 with the command, 409"
            + " without one.")
    public Uni<Response> run(@PathParam("id") String id, BackupViews.RunRequest body, @Context SecurityContext caller) {
        String type = body == null || body.type() == null ? "incr" : body.type();
        if (!type.equals("full") && !type.equals("diff") && !type.equals("incr")) {
            throw ApiProblem.badRequest("type must be full, diff or incr");
        }
        return site(id).chain(() -> pool.preparedQuery(PRIMARY).execute(Tuple.of(id))).chain(rows -> {
            // after a failover the old primary reports primary until its Last Will (a minute or more after a
            // power-off); the witness already granted the epoch to the new one, which is where the backup belongs
            List<String> primaries = new ArrayList<>();
            List<String> holders = new ArrayList<>();
            rows.forEach(r -> {
                primaries.add(r.getString("node_id"));
                if (Boolean.TRUE.equals(r.getBoolean("holds"))) {
                    holders.add(r.getString("node_id"));
                }
            });
            List<String> chosen = primaries.size() > 1 ? holders : primaries;
            if (chosen.size() != 1) {
                return Uni.createFrom().failure(new ApiProblem(409, "Conflict", primaries.isEmpty()
                        ? "site '" + id + "' has no online primary to take the backup"
                        : "site '" + id + "' has two nodes reporting primary and neither holds the witness's epoch:"
                        + " no backup until that is resolved"));
            }
            String node = chosen.get(0);
            long now = System.currentTimeMillis();
            long expires = now + config.commandTtl().toMillis();
            Command c = new Command(SchemaVersion.CURRENT.toString(), "backup-" + UUID.randomUUID(), id, node,
                    "backup-run", Map.of("type", type), now, expires);
            LOG.infof("backup-run %s (%s) sent to %s/%s by %s", c.id(), type, id, node,
                    caller.getUserPrincipal().getName());
            return down.publish(Topics.command(id, node), codec.encode(c), false).map(v -> Response.accepted(
                    new BackupViews.RunRequested(id, node, c.id(), type,
                            Instant.ofEpochMilli(expires).atOffset(ZoneOffset.UTC))).build());
        }).ifNoItem().after(hub.dbTimeout()).fail();
    }

    /** The schedule from the bound template, the newest passed test, and whether the last pass is too old. */
    private Uni<BackupViews.RestoreTests> restoreTests(SqlClient c, String id) {
        return c.preparedQuery(PASSED).execute(Tuple.of(id)).chain(p -> {
            Row r = p.iterator().next();
            BackupViews.BackupEvent passed = r.getOffsetDateTime("ts") == null ? null : event(r);
            OffsetDateTime firstGood = r.getOffsetDateTime("first_good");
            OffsetDateTime oldSince = firstGood == null ? null
                    : (passed != null ? passed.at() : firstGood).plus(config.restoreTestMaxAge());
            boolean old = oldSince != null && oldSince.isBefore(OffsetDateTime.now(ZoneOffset.UTC));
            return c.preparedQuery(SCHEDULE).execute(Tuple.of(id)).map(s -> new BackupViews.RestoreTests(
                    s.iterator().hasNext() ? schedule(s.iterator().next().getString("backup")) : null, passed, old,
                    old ? oldSince : null));
        });
    }

    private String schedule(String backup) {
        try {
            Schedule s = backup == null ? null : BackupSpec.parse(json.readValue(backup, Map.class)).restoreTest();
            return s == null ? null : s.text();
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }

    /** The lag now: the reported age plus the report's own age while a segment waited (BackupGauges does the same). */
    private BackupViews.Archive archive(BackupViews.BackupEvent report) {
        long reported;
        try {
            reported = Long.parseLong(report.attrs().getOrDefault("lagSeconds", "0"));
        } catch (NumberFormatException e) {
            reported = 0;
        }
        long lag = reported <= 0 ? 0 : reported + Math.max(0, java.time.Duration.between(report.at(),
                OffsetDateTime.now(ZoneOffset.UTC)).toSeconds());
        return new BackupViews.Archive(lag, lag > config.archiveLagMax().toSeconds(), report);
    }

    private Uni<Void> site(String id) {
        return pool.preparedQuery(SITE).execute(Tuple.of(id)).invoke(rows -> {
            if (!rows.iterator().hasNext()) {
                throw ApiProblem.notFound("no site '" + id + "'");
            }
        }).replaceWithVoid();
    }

    private BackupViews.BackupEvent event(Row r) {
        Map<String, String> attrs;
        try {
            attrs = r.getString("attrs") == null ? Map.of() : json.readValue(r.getString("attrs"), STRING_MAP);
        } catch (IOException e) {
            attrs = Map.of();
        }
        return new BackupViews.BackupEvent(r.getString("node_id"), r.getOffsetDateTime("ts"), r.getString("type"),
                r.getString("message"), attrs);
    }
}
