package io.geminik8s.hub;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/** Runs a non-blocking job on a Vert.x timer, skipping a tick while the previous run is still going. */
public final class Periodic {

    private static final Logger LOG = Logger.getLogger(Periodic.class);

    private Periodic() {
    }

    public static void every(Vertx vertx, Duration period, Supplier<Uni<Void>> job) {
        AtomicBoolean running = new AtomicBoolean();
        LogBudget failures = new LogBudget(() -> 6); // a database outage fails every tick: a few lines, no stacks
        vertx.setPeriodic(Math.max(10, period.toMillis()), id -> {
            if (running.compareAndSet(false, true)) {
                job.get().onTermination().invoke(() -> running.set(false))
                        .subscribe().with(ok -> { }, e -> {
                            if (failures.allow()) {
                                LOG.warnf("periodic job failed: %s", e.toString());
                            }
                        });
            }
        });
    }
}
