package io.geminik8s.hub.backup;

import io.geminik8s.hub.HubConfig;
import io.geminik8s.hub.Periodic;
import io.geminik8s.hub.ingest.IngestClient;
import io.geminik8s.protocol.BackupSpec;
import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.Command;
import io.geminik8s.protocol.SchemaVersion;
import io.geminik8s.protocol.Topics;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Restore tests on the template's schedule ({@code spec.backup.restoreTest}, docs/backup.md): every
 * {@code gk8s.backup.check-interval}, on one hub replica at a time (a transaction-level advisory lock, as the rollout
 * driver), each bound site whose template names a schedule and whose test is due ({@link RestoreTestPlan}) gets
 * {@code backup-verify} at its online standby. What was sent is recorded ({@code restore_test_sent}, V25) in the
 * transaction that holds the lock, so the replicas, which take turns, never send a second one while it is
 * unanswered; a publish that fails after the commit waits out the command's validity. Never at the primary: a scheduled test must not load the node that
 * serves the site (an operator can still test on a lone primary: {@code gk8s backup test}); a site without an online
 * standby is skipped until it has one, and {@code gk8s_backups_restore_test_old} tells when that lasts.
 */
@ApplicationScoped
public class RestoreTestScheduler {

    private static final Logger LOG = Logger.getLogger(RestoreTestScheduler.class);
    static final long LOCK_KEY = 0x676b38735f7274L; // "gk8s_rt"
    static final String SCHEDULED = """
            SELECT b.site_id, (t.spec -> 'spec' -> 'backup')::text AS backup,
              (SELECT max(ts) FROM node_event e WHERE e.site_id = b.site_id
                 AND e.type IN ('backup.restore-tested', 'backup.restore-test-failed')) AS last_test,
              (SELECT min(ts) FROM node_event e WHERE e.site_id = b.site_id AND e.type = 'backup.completed') AS first_good,
              (SELECT node_id FROM node n WHERE n.site_id = b.site_id AND n.online AND n.role = 'standby'
                 ORDER BY node_id LIMIT 1) AS standby,
              s.sent_at
            FROM site_binding b JOIN template_revision t ON t.name = b.template AND t.revision = b.revision
              LEFT JOIN restore_test_sent s ON s.site_id = b.site_id
            WHERE (t.spec -> 'spec' -> 'backup') ? 'restoreTest'""";
    static final String SENT = """
            INSERT INTO restore_test_sent (site_id, sent_at, node_id, command_id) VALUES ($1, $2, $3, $4)
            ON CONFLICT (site_id) DO UPDATE SET sent_at = $2, node_id = $3, command_id = $4""";

    /** A command to send once the tick's transaction is over. */
    record Outgoing(String site, String node, Command command, String reason) {
    }

    private final Pool pool;
    private final HubConfig hub;
    private final BackupConfig config;
    private final IngestClient down;
    private final Codec codec;

    public RestoreTestScheduler(Pool pool, HubConfig hub, BackupConfig config, IngestClient down, Codec codec) {
        this.pool = pool;
        this.hub = hub;
        this.config = config;
        this.down = down;
        this.codec = codec;
    }

    void start(@Observes StartupEvent ev, Vertx vertx) {
        Periodic.every(vertx, config.checkInterval(), this::tick);
    }

    /** One pass over the scheduled sites (the periodic job; tests call it). */
    public Uni<Void> tick() {
        Instant now = Instant.now();
        List<Outgoing> outbox = new ArrayList<>();
        // what is sent is recorded in the same transaction, under the lock: the replica that ticks next sees it
        return pool.withTransaction(tx -> tx.query("SELECT pg_try_advisory_xact_lock(" + LOCK_KEY + ") AS got")
                        .execute().chain(rows -> rows.iterator().next().getBoolean("got")
                                ? tx.query(SCHEDULED).execute().invoke(sites -> sites.forEach(r -> plan(r, now, outbox)))
                                        .chain(() -> outbox.isEmpty() ? Uni.createFrom().voidItem()
                                                : tx.preparedQuery(SENT).executeBatch(outbox.stream().map(o -> Tuple.of(
                                                        o.site(), now.atOffset(ZoneOffset.UTC), o.node(),
                                                        o.command().id())).toList()).replaceWithVoid())
                                : Uni.createFrom().voidItem()))
                .ifNoItem().after(hub.dbTimeout().multipliedBy(2)).fail()
                .chain(() -> Multi.createFrom().iterable(outbox).onItem().transformToUniAndConcatenate(o -> down
                        .publish(Topics.command(o.site(), o.node()), codec.encode(o.command()), false)
                        .invoke(() -> {
                            LOG.infof("backup-verify %s sent to %s/%s on schedule: %s", o.command().id(), o.site(),
                                    o.node(), o.reason());
                        })).collect().last().replaceWithVoid());
    }

    private void plan(Row r, Instant now, List<Outgoing> outbox) {
        String site = r.getString("site_id");
        BackupSpec spec;
        try {
            spec = BackupSpec.parse(codec.mapper().readValue(r.getString("backup"), Map.class));
        } catch (Exception e) { // the template rules checked it at load; a revision stored before them may not pass
            LOG.debugf("site %s: spec.backup unreadable, no scheduled restore test: %s", site, e.getMessage());
            return;
        }
        if (spec.restoreTest() == null) {
            return;
        }
        RestoreTestPlan.Decision d = RestoreTestPlan.decide(spec.restoreTest(), new RestoreTestPlan.Site(
                instant(r.getOffsetDateTime("last_test")), instant(r.getOffsetDateTime("sent_at")),
                instant(r.getOffsetDateTime("first_good"))),
                now, config.commandTtl());
        String standby = r.getString("standby");
        if (!d.send() || standby == null) {
            return;
        }
        long at = now.toEpochMilli();
        Command c = new Command(SchemaVersion.CURRENT.toString(), "verify-" + UUID.randomUUID(), site, standby,
                "backup-verify", Map.of(), at, at + config.commandTtl().toMillis());
        outbox.add(new Outgoing(site, standby, c, d.reason()));
    }

    private static Instant instant(OffsetDateTime t) {
        return t == null ? null : t.toInstant();
    }
}
