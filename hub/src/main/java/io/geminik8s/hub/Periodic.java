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

    /** A job started by {@link #every}; {@link #soon} asks for one extra run before the next period. */
    public static final class Job {
        private final Vertx vertx;
        private final Supplier<Uni<Void>> work;
        private final AtomicBoolean running = new AtomicBoolean();
        private final AtomicBoolean stopped = new AtomicBoolean();
        private final LogBudget failures = new LogBudget(() -> 6); // a database outage fails every run: a few lines
        private long timer;

        private Job(Vertx vertx, Supplier<Uni<Void>> work) {
            this.vertx = vertx;
            this.work = work;
        }

        private void run() {
            if (!stopped.get() && running.compareAndSet(false, true)) {
                work.get().onTermination().invoke(() -> running.set(false))
                        .subscribe().with(ok -> { }, e -> {
                            if (failures.allow()) {
                                LOG.warnf("periodic job failed: %s", e.toString());
                            }
                        });
            }
        }

        /**
         * One more run after {@code delay} (at least 1 ms), unless the job was stopped; skipped if a run is still
         * going then (that run may ask again).
         */
        public void soon(Duration delay) {
            if (!stopped.get()) {
                vertx.setTimer(Math.max(1, delay.toMillis()), id -> run());
            }
        }
    }

    private Periodic() {
    }

    public static Job every(Vertx vertx, Duration period, Supplier<Uni<Void>> job) {
        Job j = new Job(vertx, job);
        j.timer = vertx.setPeriodic(Math.max(10, period.toMillis()), id -> j.run());
        JOBS.add(j);
        return j;
    }

    /**
     * Stops every job started so far: no new run starts, and runs in progress are awaited up to {@code wait}.
     * Jobs started afterwards (an application started again in the same JVM) run normally.
     */
    public static void stopAll(Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        Set<Job> stopping = Set.copyOf(JOBS);
        for (Job j : stopping) {
            j.stopped.set(true);
            j.vertx.cancelTimer(j.timer);
            JOBS.remove(j);
        }
        for (Job j : stopping) {
            while (j.running.get() && System.nanoTime() < deadline) {
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
