package io.geminik8s.hub;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Runs a non-blocking job on a Vert.x timer, skipping a tick while the previous run is still going. At shutdown
 * ({@link PeriodicShutdown}, before anything else stops) every job is stopped and its run in progress awaited, so
 * that no tick starts against a broker or database pool that is closing (each failed with "Pool closed").
 */
public final class Periodic {

    private static final Logger LOG = Logger.getLogger(Periodic.class);
    private static final Set<Job> JOBS = ConcurrentHashMap.newKeySet();

    private record Job(Vertx vertx, long timer, AtomicBoolean stopped, AtomicBoolean running) {
    }

    private Periodic() {
    }

    public static void every(Vertx vertx, Duration period, Supplier<Uni<Void>> job) {
        AtomicBoolean running = new AtomicBoolean();
        AtomicBoolean stopped = new AtomicBoolean();
        LogBudget failures = new LogBudget(() -> 6); // a database outage fails every tick: a few lines, no stacks
        long timer = vertx.setPeriodic(Math.max(10, period.toMillis()), id -> {
            if (!stopped.get() && running.compareAndSet(false, true)) {
                job.get().onTermination().invoke(() -> running.set(false))
                        .subscribe().with(ok -> { }, e -> {
                            if (failures.allow()) {
                                LOG.warnf("periodic job failed: %s", e.toString());
                            }
                        });
            }
        });
        JOBS.add(new Job(vertx, timer, stopped, running));
    }

    /**
     * Stops every job started so far: no new run starts, and runs in progress are awaited up to {@code wait}.
     * Jobs started afterwards (an application started again in the same JVM) run normally.
     */
    public static void stopAll(Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        Set<Job> stopping = Set.copyOf(JOBS);
        for (Job j : stopping) {
            j.stopped().set(true);
            j.vertx().cancelTimer(j.timer());
            JOBS.remove(j);
        }
        for (Job j : stopping) {
            while (j.running().get() && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
