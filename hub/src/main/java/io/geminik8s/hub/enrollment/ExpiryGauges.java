package io.geminik8s.hub.enrollment;

import io.geminik8s.hub.HubConfig;
import io.geminik8s.hub.Periodic;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Certificate expiry for alerting, from each enrolled node's newest unrevoked certificate:
 * {@code gk8s_certificates_expiring} (nodes whose certificate expires within {@code gk8s.enrollment.expiry-warning},
 * or already expired: renewal is not happening) and {@code gk8s_certificates_next_expiry_seconds} (-1: none).
 */
@ApplicationScoped
public class ExpiryGauges {

    private static final String NEWEST = "SELECT count(*) FILTER (WHERE not_after_ms < $1) AS expiring,"
            + " min(not_after_ms) AS soonest FROM (SELECT DISTINCT ON (site_id, node_id) not_after_ms FROM enrollment"
            + " WHERE revoked_ms IS NULL ORDER BY site_id, node_id, not_after_ms DESC) newest";

    private final Pool pool;
    private final EnrollmentConfig config;
    private final HubConfig hub;
    private final AtomicLong expiring = new AtomicLong();
    private final AtomicLong soonestMs = new AtomicLong(-1);

    public ExpiryGauges(Pool pool, EnrollmentConfig config, HubConfig hub) {
        this.pool = pool;
        this.config = config;
        this.hub = hub;
    }

    void start(@Observes StartupEvent ev, Vertx vertx, MeterRegistry registry) {
        Gauge.builder("gk8s.certificates.expiring", expiring, AtomicLong::get)
                .description("Enrolled nodes whose newest certificate expires soon or has expired").register(registry);
        Gauge.builder("gk8s.certificates.next.expiry.seconds", soonestMs,
                        ms -> ms.get() < 0 ? -1 : (ms.get() - System.currentTimeMillis()) / 1000.0)
                .description("Seconds until the first enrolled node's newest certificate expires (-1: none)")
                .register(registry);
        Periodic.every(vertx, config.expiryCheckInterval(), this::refresh);
    }

    /** Reads the figures again (the periodic job; tests call it). */
    public Uni<Void> refresh() {
        long warnBefore = System.currentTimeMillis() + config.expiryWarning().toMillis();
        return pool.preparedQuery(NEWEST).execute(Tuple.of(warnBefore)).invoke(rows -> {
            Row r = rows.iterator().next();
            expiring.set(r.getLong("expiring"));
            Long soonest = r.getLong("soonest");
            soonestMs.set(soonest == null ? -1 : soonest);
        }).replaceWithVoid().ifNoItem().after(hub.dbTimeout()).fail();
    }
}
