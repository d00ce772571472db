package io.geminik8s.hub.backup;

import io.geminik8s.hub.HubConfig;
import io.geminik8s.hub.Periodic;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code gk8s_backups_stale}: sites whose agents set up backups and whose newest good backup is older than
 * {@code gk8s.backup.stale-after} (or that have none that long after the set-up), from the nodes' backup events
 * (their partial index, V20). The alert Gk8sBackupsStale reads it (ops/prometheus). {@code
 * gk8s_backups_archive_lagging} and {@code gk8s_backups_archive_lag_max_seconds} from the writing nodes' newest
 * {@code backup.archive} reports (V24's index); the alert Gk8sWalArchiveLag reads the first. {@code
 * gk8s_backups_restore_test_failed}: sites whose newest restore test failed (alert Gk8sRestoreTestFailed); {@code
 * gk8s_backups_restore_test_old}: sites with backups and no restore test passed within
 * {@code gk8s.backup.restore-test-max-age} (alert Gk8sRestoreTestOld). Neither counts a site whose bound template
 * dropped {@code spec.backup}.
 */
@ApplicationScoped
public class BackupGauges {

    /**
     * A site whose desired state has no {@code backup} section any more — its bound template revision's, or its
     * overrides' when they name one (as the agents merge them) — takes no backups, whatever its old events say:
     * neither stale nor owing a restore test. A site bound to none is judged by its events.
     */
    static final String BACKUPS_DROPPED = """
            EXISTS (SELECT 1 FROM site_binding b JOIN template_revision t ON t.name = b.template
                    AND t.revision = b.revision WHERE b.site_id = %s
                    AND jsonb_typeof(CASE WHEN jsonb_exists(b.overrides, 'backup') THEN b.overrides -> 'backup'
                                          ELSE t.spec -> 'spec' -> 'backup' END) IS DISTINCT FROM 'object')""";

    static final String STALE = """
            SELECT count(*) AS stale FROM (
              SELECT site_id, max(ts) FILTER (WHERE type = 'backup.completed') AS good, min(ts) AS first
              FROM node_event WHERE type IN ('backup.configured', 'backup.completed', 'backup.failed')
              GROUP BY site_id) s
            WHERE coalesce(good, first) < $1 AND NOT """ + " " + BACKUPS_DROPPED.formatted("s.site_id");

    /** Per site the newest archive report of the last day; the lag now as the API computes it. */
    static final String ARCHIVE = """
            SELECT count(*) FILTER (WHERE lag > $1) AS lagging, coalesce(max(lag), 0) AS max_lag FROM (
              SELECT CASE WHEN lag_reported <= 0 THEN 0
                          ELSE lag_reported + floor(extract(epoch FROM now() - ts))::bigint END AS lag
              FROM (SELECT DISTINCT ON (site_id) site_id, ts,
                           CASE WHEN attrs->>'lagSeconds' ~ '^[0-9]{1,12}$' THEN (attrs->>'lagSeconds')::bigint
                                ELSE 0 END AS lag_reported
                    FROM node_event WHERE type = 'backup.archive' AND ts > now() - interval '1 day'
                    ORDER BY site_id, ts DESC) newest) l""";

    /** Sites whose newest restore test (of the last week) failed. */
    static final String TEST_FAILED = """
            SELECT count(*) FILTER (WHERE type = 'backup.restore-test-failed') AS failed FROM (
              SELECT DISTINCT ON (site_id) site_id, type FROM node_event
              WHERE type IN ('backup.restore-tested', 'backup.restore-test-failed') AND ts > now() - interval '7 days'
              ORDER BY site_id, ts DESC) newest""";

    /** Sites with a good backup whose newest passed restore test (or, without one, first good backup) is older. */
    static final String TEST_OLD = """
            SELECT count(*) AS old FROM
              (SELECT site_id, min(ts) AS first_good FROM node_event WHERE type = 'backup.completed'
               GROUP BY site_id) g
              LEFT JOIN (SELECT site_id, max(ts) AS passed FROM node_event WHERE type = 'backup.restore-tested'
                         GROUP BY site_id) p USING (site_id)
            WHERE coalesce(p.passed, g.first_good) < $1 AND NOT """ + " " + BACKUPS_DROPPED.formatted("g.site_id");

    private final Pool pool;
    private final BackupConfig config;
    private final HubConfig hub;
    private final AtomicLong stale = new AtomicLong();
    private final AtomicLong lagging = new AtomicLong();
    private final AtomicLong maxLag = new AtomicLong();
    private final AtomicLong testFailed = new AtomicLong();
    private final AtomicLong testOld = new AtomicLong();

    public BackupGauges(Pool pool, BackupConfig config, HubConfig hub) {
        this.pool = pool;
        this.config = config;
        this.hub = hub;
    }

    void start(@Observes StartupEvent ev, Vertx vertx, MeterRegistry registry) {
        Gauge.builder("gk8s.backups.stale", stale, AtomicLong::get)
                .description("Sites with backups set up whose newest good backup is older than gk8s.backup.stale-after")
                .register(registry);
        Gauge.builder("gk8s.backups.archive.lagging", lagging, AtomicLong::get)
                .description("Sites whose writing node has a WAL segment waiting for the repository longer than"
                        + " gk8s.backup.archive-lag-max").register(registry);
        Gauge.builder("gk8s.backups.archive.lag.max.seconds", maxLag, AtomicLong::get)
                .description("The longest a completed WAL segment has waited for the repository, over the fleet")
                .register(registry);
        Gauge.builder("gk8s.backups.restore.test.failed", testFailed, AtomicLong::get)
                .description("Sites whose newest restore test (backup-verify) failed").register(registry);
        Gauge.builder("gk8s.backups.restore.test.old", testOld, AtomicLong::get)
                .description("Sites with a good backup and no restore test passed within"
                        + " gk8s.backup.restore-test-max-age").register(registry);
        Periodic.every(vertx, config.checkInterval(), this::refresh);
    }

    /** Reads the figure again (the periodic job; tests call it). */
    public Uni<Void> refresh() {
        OffsetDateTime cutoff = OffsetDateTime.now(ZoneOffset.UTC).minus(config.staleAfter());
        return pool.preparedQuery(STALE).execute(Tuple.of(cutoff))
                .invoke(rows -> stale.set(rows.iterator().next().getLong("stale")))
                .chain(() -> pool.preparedQuery(ARCHIVE).execute(Tuple.of(config.archiveLagMax().toSeconds())))
                .invoke(rows -> {
                    var r = rows.iterator().next();
                    lagging.set(r.getLong("lagging"));
                    maxLag.set(r.getLong("max_lag"));
                })
                .chain(() -> pool.preparedQuery(TEST_FAILED).execute())
                .invoke(rows -> testFailed.set(rows.iterator().next().getLong("failed")))
                .chain(() -> pool.preparedQuery(TEST_OLD).execute(Tuple.of(OffsetDateTime.now(ZoneOffset.UTC)
                        .minus(config.restoreTestMaxAge()))))
                .invoke(rows -> testOld.set(rows.iterator().next().getLong("old")))
                .replaceWithVoid().ifNoItem().after(hub.dbTimeout()).fail();
    }
}
