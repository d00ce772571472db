package io.geminik8s.hub.presence;

import io.geminik8s.hub.ingest.IngestState;
import io.geminik8s.hub.Periodic;
import io.geminik8s.hub.HubConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.event.Observes;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Site status from both nodes: {@code healthy} (both online, one primary, a streaming standby), {@code split} (two
 * online nodes report primary), {@code offline} (no node online), otherwise {@code degraded} with a reason. Also
 * marks nodes offline after the heartbeat timeout and keeps the fleet gauges.
 */
@ApplicationScoped
public class SiteStatus {

    public static final List<String> STATUSES = List.of("healthy", "degraded", "split", "offline");
    private static final Logger LOG = Logger.getLogger(SiteStatus.class);
    private final io.geminik8s.hub.LogBudget sweepFailures = new io.geminik8s.hub.LogBudget(() -> 6);

    private static final String REFRESH = """
            UPDATE site s SET status = x.status, status_reason = x.reason, updated_at = now()
            FROM (SELECT site_id,
                         count(*) FILTER (WHERE online) AS up,
                         count(*) AS total,
                         count(*) FILTER (WHERE online AND role = 'primary') AS primaries,
                         count(*) FILTER (WHERE online AND role = 'standby' AND replication_ok) AS streaming
                  FROM node WHERE site_id = ANY($1) GROUP BY site_id) c,
            LATERAL (SELECT
                CASE WHEN c.up = 0 THEN 'offline'
                     WHEN c.primaries >= 2 THEN 'split'
                     WHEN c.up >= 2 AND c.primaries = 1 AND c.streaming >= 1 THEN 'healthy'
                     ELSE 'degraded' END AS status,
                CASE WHEN c.up = 0 THEN 'no node online'
                     WHEN c.primaries >= 2 THEN c.primaries || ' nodes report primary'
                     WHEN c.up >= 2 AND c.primaries = 1 AND c.streaming >= 1 THEN NULL
                     WHEN c.up < 2 THEN c.up || ' of ' || greatest(c.total, 2) || ' nodes online'
                     WHEN c.primaries = 0 THEN 'no node reports primary'
                     ELSE 'standby not streaming' END AS reason) x
            WHERE s.id = c.site_id AND (s.status, s.status_reason) IS DISTINCT FROM (x.status, x.reason)""";
    private static final String TIMEOUT = "UPDATE node SET online = false, offline_reason = 'heartbeat-timeout',"
            + " updated_at = now() WHERE online AND last_seen < to_timestamp($1 / 1000.0) RETURNING site_id";
    private static final String COUNTS = "SELECT status, count(*) AS n FROM site GROUP BY status";
    private static final String ONLINE = "SELECT count(*) AS n FROM node WHERE online";

    private final Pool pool;
    private final HubConfig config;
    private final IngestState ingest;
    private final Map<String, AtomicLong> sitesByStatus = new ConcurrentHashMap<>();
    private final AtomicLong nodesOnline = new AtomicLong();

    public SiteStatus(Pool pool, HubConfig config, IngestState ingest, MeterRegistry registry) {
        this.ingest = ingest;
        this.pool = pool;
        this.config = config;
        for (String s : STATUSES) {
            AtomicLong v = new AtomicLong();
            sitesByStatus.put(s, v);
            Gauge.builder("gk8s.sites", v, AtomicLong::get).tag("status", s).description("Sites by status")
                    .register(registry);
        }
        Gauge.builder("gk8s.nodes.online", nodesOnline, AtomicLong::get).description("Nodes online")
                .register(registry);
    }

    /** Re-derives the status of {@code sites}; writes only the rows whose status changed. */
    Uni<Void> refresh(SqlClient client, String[] sites) {
        if (sites.length == 0) {
            return Uni.createFrom().voidItem();
        }
        return client.preparedQuery(REFRESH).execute(Tuple.of((Object) sites)).replaceWithVoid();
    }

    void schedule(@Observes StartupEvent ev, Vertx vertx) {
        Periodic.every(vertx, config.sweepInterval(), this::sweep);
    }

    Uni<Void> sweep() {
        long cutoff = System.currentTimeMillis() - config.heartbeatTimeout().toMillis();
        Uni<Void> timeouts = !ingest.ingestingSince(cutoff) ? Uni.createFrom().voidItem() // deaf: silence means nothing
                : pool.withTransaction(tx -> tx.preparedQuery(TIMEOUT).execute(Tuple.of(cutoff))
                        .chain(rows -> refresh(tx, java.util.stream.StreamSupport.stream(rows.spliterator(), false)
                                .map(r -> r.getString("site_id")).distinct().toArray(String[]::new))));
        return timeouts
                .chain(() -> pool.query(COUNTS).execute())
                .invoke(rows -> {
                    sitesByStatus.values().forEach(v -> v.set(0));
                    for (Row r : rows) {
                        sitesByStatus.computeIfAbsent(r.getString("status"), k -> new AtomicLong())
                                .set(r.getLong("n"));
                    }
                })
                .chain(() -> pool.query(ONLINE).execute())
                .invoke(rows -> nodesOnline.set(rows.iterator().next().getLong("n")))
                .replaceWithVoid()
                .ifNoItem().after(config.dbTimeout()).fail()
                .onFailure().recoverWithItem(e -> {
                    if (sweepFailures.allow()) {
                        LOG.warnf("presence sweep failed: %s", e.toString());
                    }
                    return null;
                });
    }
}
