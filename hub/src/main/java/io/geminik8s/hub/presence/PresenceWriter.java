package io.geminik8s.hub.presence;

import io.geminik8s.hub.Periodic;
import io.geminik8s.hub.HubConfig;
import io.geminik8s.hub.LogBudget;
import io.micrometer.core.instrument.Gauge;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import io.geminik8s.protocol.Codec;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.core.Vertx;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Writes the {@link PresenceBuffer} to PostgreSQL: one transaction per flush ({@link BatchWrite}), never a
 * transaction per message. Only after the commit are the batch's messages acknowledged to the broker; a failed write is put
 * back into the buffer (unacknowledged). One flush at a time, started by the message that finds none running, and
 * every flush interval.
 */
@ApplicationScoped
public class PresenceWriter {

    private static final Logger LOG = Logger.getLogger(PresenceWriter.class);

    private final PresenceBuffer buffer;
    private final LogBudget flushFailures = new LogBudget(() -> 6);
    private final Pool pool;
    private final BatchWrite batchWrite;
    private final HubConfig config;
    private final Timer flushTimer;
    private final Timer canaryTimer;
    private final AtomicBoolean flushing = new AtomicBoolean();
    private final AtomicInteger writing = new AtomicInteger();
    private volatile long writingSince = -1;
    private volatile long canaryCommittedNanos = -1;
    private volatile boolean shuttingDown;

    public PresenceWriter(PresenceBuffer buffer, Pool pool, SiteStatus siteStatus, HubConfig config,
                          Codec codec, MeterRegistry registry) {
        this.buffer = buffer;
        this.pool = pool;
        this.batchWrite = new BatchWrite(siteStatus, config, codec);
        this.config = config;
        this.flushTimer = Timer.builder("gk8s.flush").description("Time to write one presence batch")
                .publishPercentiles(0.5, 0.99).register(registry);
        this.canaryTimer = Timer.builder("gk8s.ingest.canary").description("The hub's canary: published to the broker"
                + " until committed in PostgreSQL").publishPercentiles(0.5, 0.99).register(registry);
        Gauge.builder("gk8s.ingest.inflight", this, PresenceWriter::inFlight)
                .description("Messages received and not yet acknowledged (waiting or being written)").register(registry);
        Gauge.builder("gk8s.ingest.oldest.unacked.seconds", this, w -> w.oldestUnackedNanos() / 1e9)
                .description("Age of the oldest message received and not yet acknowledged").register(registry);
    }

    /**
     * Called by ingest after it buffered a message: a group commit — a message that finds no flush running starts
     * one; one that finds a flush running is written by the follow-up flush. Brokers keep only a few messages in
     * flight to the hub (HiveMQ 50, Mosquitto 20 by default), each acknowledged after its commit, so waiting for the
     * next tick capped ingest at ~50 messages per tick.
     */
    public void received() {
        if (!flushing.get()) {
            flush().subscribe().with(ok -> { }, e -> warn("flush failed", e));
        }
    }

    public int inFlight() {
        return buffer.waiting() + writing.get();
    }

    public long oldestUnackedNanos() {
        long since = writingSince >= 0 ? writingSince : buffer.oldestNanos();
        return since < 0 ? 0 : System.nanoTime() - since;
    }

    /** When the last canary was committed ({@link System#nanoTime()}), or -1. */
    public long canaryCommittedNanos() {
        return canaryCommittedNanos;
    }

    /** Quarkus' scheduler runs nothing more often than once a second: a Vert.x timer drives the flush. */
    void schedule(@Observes StartupEvent ev, Vertx vertx) {
        Periodic.every(vertx, config.flushInterval(), () -> {
            buffer.applyDueWills(System.currentTimeMillis(), config.willGrace().toMillis());
            return flush();
        });
    }

    /** Writes what is buffered and then acknowledges it; does nothing while another flush runs. */
    public Uni<Void> flush() {
        return Uni.createFrom().deferred(this::flushNow);
    }

    private Uni<Void> flushNow() {
        if (!flushing.compareAndSet(false, true)) {
            return Uni.createFrom().voidItem();
        }
        PresenceBuffer.Batch batch = buffer.drain();
        if (batch.isEmpty()) {
            flushing.set(false);
            return Uni.createFrom().voidItem();
        }
        writing.set(batch.acks().size());
        writingSince = batch.acks().isEmpty() ? -1 : batch.acks().get(0).receivedNanos();
        long start = System.nanoTime();
        return Uni.createFrom().deferred(() -> pool.withTransaction(tx -> batchWrite.write(tx, batch)))
                .ifNoItem().after(config.dbTimeout()).fail()
                .onItem().invoke(() -> committed(batch, start))
                .onFailure().recoverWithItem(e -> {
                    if (flushFailures.allow()) {
                        LOG.warnf("presence flush of %d messages failed, kept unacknowledged for the next one: %s",
                                batch.acks().size(), e.toString());
                    }
                    buffer.requeue(batch);
                    return null;
                })
                .onTermination().invoke(() -> {
                    writing.set(0);
                    writingSince = -1;
                    flushing.set(false);
                    if (!shuttingDown && buffer.waiting() > 0) {
                        // what arrived during this write is written at once, not at the next tick: the broker sends
                        // no more than the hub has acknowledged room for, so under load the flushes follow each
                        // other back to back (each batch is what came in while the last one was written)
                        flush().subscribe().with(ok -> { }, e -> warn("follow-up flush failed", e));
                    }
                })
                .replaceWithVoid();
    }

    private void warn(String what, Throwable e) {
        if (flushFailures.allow()) {
            LOG.warnf("%s: %s", what, e.toString());
        }
    }

    private void committed(PresenceBuffer.Batch batch, long start) {
        long now = System.nanoTime();
        flushTimer.record(now - start, TimeUnit.NANOSECONDS);
        for (PresenceBuffer.Pending p : batch.acks()) {
            p.ack().run();
        }
        for (long sent : batch.canaries()) {
            canaryTimer.record(now - sent, TimeUnit.NANOSECONDS);
            canaryCommittedNanos = now;
        }
    }

    /**
     * After the broker stopped (embedded: priority 5), writes what ingest still holds; a message the event loop
     * buffers while a flush runs is written by the next one, until a round finds nothing.
     */
    void flushOnShutdown(@Observes @Priority(10) ShutdownEvent ev) {
        shuttingDown = true;
        long deadline = System.nanoTime() + config.dbTimeout().toNanos();
        while ((!buffer.isEmpty() || flushing.get()) && System.nanoTime() < deadline) {
            flush().await().atMost(config.dbTimeout());
            Thread.onSpinWait();
        }
    }

}
