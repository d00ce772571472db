package io.geminik8s.hub.rollout;

import io.geminik8s.hub.HubConfig;
import io.geminik8s.hub.LogBudget;
import io.geminik8s.hub.Periodic;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * {@code gk8s_rollouts{phase}}: rollouts by phase, from the database (every replica reports the same), for the
 * alert on a paused rollout (ops/prometheus).
 */
@ApplicationScoped
public class RolloutGauges {

    private static final Logger LOG = Logger.getLogger(RolloutGauges.class);
    private static final String COUNT = "SELECT phase, count(*) AS n FROM rollout GROUP BY phase";

    private final Pool pool;
    private final HubConfig config;
    private final Map<RolloutEngine.Phase, AtomicLong> byPhase = new EnumMap<>(RolloutEngine.Phase.class);
    private final LogBudget failures = new LogBudget(() -> 6);

    public RolloutGauges(Pool pool, HubConfig config, MeterRegistry registry) {
        this.pool = pool;
        this.config = config;
        for (RolloutEngine.Phase p : RolloutEngine.Phase.values()) {
            AtomicLong v = new AtomicLong();
            byPhase.put(p, v);
            Gauge.builder("gk8s.rollouts", v, AtomicLong::get).tag("phase", p.name().toLowerCase(Locale.ROOT))
                    .description("Rollouts by phase").register(registry);
        }
    }

    void schedule(@Observes StartupEvent ev, Vertx vertx) {
        Periodic.every(vertx, config.sweepInterval(), this::refresh);
    }

    Uni<Void> refresh() {
        return pool.query(COUNT).execute().invoke(rows -> {
            byPhase.values().forEach(v -> v.set(0));
            for (Row r : rows) {
                byPhase.get(RolloutEngine.Phase.valueOf(r.getString("phase").toUpperCase(Locale.ROOT)))
                        .set(r.getLong("n"));
            }
        }).replaceWithVoid().ifNoItem().after(config.dbTimeout()).fail().onFailure().recoverWithItem(e -> {
            if (failures.allow()) {
                LOG.warnf("rollout gauges not refreshed: %s", e.toString());
            }
            return null;
        });
    }
}
