package io.geminik8s.hub.presence;

import io.geminik8s.hub.Periodic;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.geminik8s.hub.HubConfig;
import io.geminik8s.hub.LogBudget;
import io.micrometer.core.instrument.Gauge;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import io.geminik8s.protocol.Birth;
import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.Event;
import io.geminik8s.protocol.Health;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.core.Vertx;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Writes the {@link PresenceBuffer} to PostgreSQL: one transaction per flush with one set-based statement per table
 * (unnest of arrays), never a transaction per message. Site status is re-derived for touched sites in the same
 * transaction. Only after the commit are the batch's messages acknowledged to the broker; a failed write is put
 * back into the buffer (unacknowledged). One flush at a time, started by the message that finds none running, and
 * every flush interval.
 */
@ApplicationScoped
public class PresenceWriter {

    private static final Logger LOG = Logger.getLogger(PresenceWriter.class);

    private static final String ENSURE_SITES = "INSERT INTO site (id) SELECT DISTINCT unnest($1::text[]) ON CONFLICT DO NOTHING";
    private static final String SITE_LABELS = "UPDATE site s SET labels = u.labels::jsonb, updated_at = now()"
            + " FROM unnest($1::text[], $2::text[]) AS u(id, labels) WHERE s.id = u.id AND s.labels <> u.labels::jsonb";
    private static final String ENSURE_NODES = "INSERT INTO node (site_id, node_id)"
            + " SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING";
    // a health sample applies only if it is not older, by its order key, than the stored one (see Health.newerThan)
    private static final String NEWER = "(u.health IS NOT NULL AND (n.health_session IS NULL OR (u.hsession IS NOT NULL"
            + " AND (u.hsession, u.hsample) >= (n.health_session, n.health_sample))))";
    private static final String UPDATE_NODES = """
            UPDATE node n SET
              online = CASE WHEN u.online IS NULL OR (NOT u.online AND u.session < n.session) THEN n.online
                            ELSE u.online END,
              offline_reason = CASE WHEN u.online IS NULL OR (NOT u.online AND u.session < n.session) THEN n.offline_reason
                            WHEN u.online THEN NULL ELSE u.offline_reason END,
              session = greatest(n.session, coalesce(u.session, 0)),
              role = CASE WHEN u.health_role IS NOT NULL AND NEWER THEN u.health_role
                          WHEN u.bsession >= n.session THEN coalesce(u.birth_role, n.role) ELSE n.role END,
              replication_ok = CASE WHEN NEWER THEN coalesce(u.repl, n.replication_ok) ELSE n.replication_ok END,
              agent_version = CASE WHEN u.bsession >= n.session THEN u.agent_version ELSE n.agent_version END,
              hostname = CASE WHEN u.bsession >= n.session THEN u.hostname ELSE n.hostname END,
              versions = CASE WHEN u.bsession >= n.session THEN u.versions::jsonb ELSE n.versions END,
              last_applied_generation = greatest(CASE WHEN u.bsession >= n.session THEN u.gen
                                                   ELSE n.last_applied_generation END, u.hgen),
              health = CASE WHEN NEWER THEN u.health::jsonb ELSE n.health END,
              health_at = CASE WHEN NEWER THEN to_timestamp(u.health_at / 1000.0) ELSE n.health_at END,
              health_session = CASE WHEN NEWER THEN u.hsession ELSE n.health_session END,
              health_sample = CASE WHEN NEWER THEN u.hsample ELSE n.health_sample END,
              last_seen = CASE WHEN u.last_seen > 0 THEN greatest(n.last_seen, to_timestamp(u.last_seen / 1000.0))
                               ELSE n.last_seen END,
              updated_at = now()
            FROM unnest($1::text[], $2::text[], $3::int8[], $4::bool[], $5::text[], $6::int8[], $7::text[],
                        $8::text[], $9::bool[], $10::text[], $11::text[], $12::text[], $13::int8[], $14::text[],
                        $15::int8[], $16::int8[], $17::int8[], $18::int8[], $19::int8[])
              AS u(site, node, session, online, offline_reason, bsession, birth_role, health_role, repl,
                   agent_version, hostname, versions, gen, health, health_at, last_seen, hgen, hsession, hsample)
            WHERE n.site_id = u.site AND n.node_id = u.node""".replace("NEWER", NEWER);
    private static final String INSERT_EVENTS = """
            INSERT INTO node_event (site_id, node_id, seq, ts, type, severity, message, attrs)
            SELECT u.site, u.node, u.seq, to_timestamp(u.ts / 1000.0), u.type, u.severity, u.message, u.attrs::jsonb
            FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::text[], $6::text[], $7::text[], $8::text[])
              AS u(site, node, seq, ts, type, severity, message, attrs)
            ON CONFLICT DO NOTHING""";

    private static final String CANARY = "INSERT INTO hub_replica (instance, canary_at) VALUES ($1, now())"
            + " ON CONFLICT (instance) DO UPDATE SET canary_at = excluded.canary_at";

    private final PresenceBuffer buffer;
    private final LogBudget flushFailures = new LogBudget(() -> 6);
    private final Pool pool;
    private final SiteStatus siteStatus;
    private final HubConfig config;
    private final Codec codec;
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
        this.siteStatus = siteStatus;
        this.config = config;
        this.codec = codec;
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
        return Uni.createFrom().deferred(() -> pool.withTransaction(tx -> write(tx, batch)))
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

    private Uni<Void> write(SqlClient tx, PresenceBuffer.Batch batch) {
        Set<String> sites = new LinkedHashSet<>();
        batch.nodes().forEach(d -> sites.add(d.site));
        batch.events().forEach(e -> sites.add(e.site()));
        List<NodeDelta> births = batch.nodes().stream().filter(d -> d.birth != null).toList();
        int n = batch.nodes().size();
        String[] site = new String[n], node = new String[n], reason = new String[n], birthRole = new String[n],
                healthRole = new String[n], agentVersion = new String[n], hostname = new String[n],
                versions = new String[n], health = new String[n];
        Long[] session = new Long[n], bsession = new Long[n], gen = new Long[n], healthAt = new Long[n],
                lastSeen = new Long[n], hgen = new Long[n], hsession = new Long[n], hsample = new Long[n];
        Boolean[] online = new Boolean[n], repl = new Boolean[n];
        for (int i = 0; i < n; i++) {
            NodeDelta d = batch.nodes().get(i);
            site[i] = d.site;
            node[i] = d.node;
            session[i] = d.session;
            online[i] = d.online;
            reason[i] = d.offlineReason;
            lastSeen[i] = d.lastSeen;
            Birth b = d.birth;
            if (b != null) {
                bsession[i] = b.session();
                birthRole[i] = b.role().json();
                agentVersion[i] = b.agentVersion();
                hostname[i] = b.hostname();
                versions[i] = toJson(b.versions() == null ? java.util.Map.of() : b.versions());
                gen[i] = b.lastAppliedGeneration();
            }
            Health h = d.health;
            if (h != null) {
                health[i] = toJson(h);
                healthAt[i] = h.ts();
                hgen[i] = h.appliedGeneration();
                hsession[i] = h.session();
                hsample[i] = h.sample();
                if (h.pg() != null) {
                    healthRole[i] = h.pg().role().json();
                    repl[i] = h.pg().streaming();
                }
            }
        }
        Uni<?> chain = batch.canaries().isEmpty() ? Uni.createFrom().voidItem()
                : tx.preparedQuery(CANARY).execute(Tuple.of(config.instance()));
        if (sites.isEmpty()) {
            return chain.replaceWithVoid();
        }
        chain = chain.chain(() -> tx.preparedQuery(ENSURE_SITES).execute(Tuple.of(sites.toArray(String[]::new))));
        if (!births.isEmpty()) {
            String[] ids = births.stream().map(d -> d.site).toArray(String[]::new);
            String[] labels = births.stream().map(d -> toJson(d.birth.labels() == null ? java.util.Map.of()
                    : d.birth.labels())).toArray(String[]::new);
            chain = chain.chain(() -> tx.preparedQuery(SITE_LABELS).execute(Tuple.of(ids, labels)));
        }
        if (n > 0) {
            chain = chain.chain(() -> tx.preparedQuery(ENSURE_NODES).execute(Tuple.of(site, node)))
                    .chain(() -> tx.preparedQuery(UPDATE_NODES).execute(Tuple.from(new Object[] {site, node, session,
                            online, reason, bsession, birthRole, healthRole, repl, agentVersion, hostname, versions,
                            gen, health, healthAt, lastSeen, hgen, hsession, hsample})));
        }
        if (!batch.events().isEmpty()) {
            chain = chain.chain(() -> tx.preparedQuery(INSERT_EVENTS).execute(eventTuple(batch.events())));
        }
        return chain.chain(() -> siteStatus.refresh(tx, sites.toArray(String[]::new)));
    }

    private Tuple eventTuple(List<Event> events) {
        int n = events.size();
        String[] site = new String[n], node = new String[n], type = new String[n], severity = new String[n],
                message = new String[n], attrs = new String[n];
        Long[] seq = new Long[n], ts = new Long[n];
        for (int i = 0; i < n; i++) {
            Event e = events.get(i);
            site[i] = e.site();
            node[i] = e.node();
            seq[i] = e.seq();
            ts[i] = e.ts();
            type[i] = e.type();
            severity[i] = e.severity().json();
            message[i] = e.message();
            attrs[i] = toJson(e.attrs() == null ? java.util.Map.of() : e.attrs());
        }
        return Tuple.from(new Object[] {site, node, seq, ts, type, severity, message, attrs});
    }

    private String toJson(Object o) {
        try {
            return codec.mapper().writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
