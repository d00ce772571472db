package io.geminik8s.hub.presence;

import io.geminik8s.hub.Periodic;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.geminik8s.hub.HubConfig;
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
 * Writes the {@link PresenceBuffer} to PostgreSQL: one transaction per flush interval with one set-based statement
 * per table (unnest of arrays), never a transaction per message. Site status is re-derived for touched sites in
 * the same transaction. A failed write is put back into the buffer; shutdown flushes what is left.
 */
@ApplicationScoped
public class PresenceWriter {

    private static final Logger LOG = Logger.getLogger(PresenceWriter.class);

    private static final String ENSURE_SITES = "INSERT INTO site (id) SELECT DISTINCT unnest($1::text[]) ON CONFLICT DO NOTHING";
    private static final String SITE_LABELS = "UPDATE site s SET labels = u.labels::jsonb, updated_at = now()"
            + " FROM unnest($1::text[], $2::text[]) AS u(id, labels) WHERE s.id = u.id AND s.labels <> u.labels::jsonb";
    private static final String ENSURE_NODES = "INSERT INTO node (site_id, node_id)"
            + " SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING";
    private static final String UPDATE_NODES = """
            UPDATE node n SET
              online = CASE WHEN u.online IS NULL OR (NOT u.online AND u.session < n.session) THEN n.online
                            ELSE u.online END,
              offline_reason = CASE WHEN u.online IS NULL OR (NOT u.online AND u.session < n.session) THEN n.offline_reason
                            WHEN u.online THEN NULL ELSE u.offline_reason END,
              session = greatest(n.session, coalesce(u.session, 0)),
              role = CASE WHEN u.health_role IS NOT NULL THEN u.health_role
                          WHEN u.bsession >= n.session THEN coalesce(u.birth_role, n.role) ELSE n.role END,
              replication_ok = coalesce(u.repl, n.replication_ok),
              agent_version = CASE WHEN u.bsession >= n.session THEN u.agent_version ELSE n.agent_version END,
              hostname = CASE WHEN u.bsession >= n.session THEN u.hostname ELSE n.hostname END,
              versions = CASE WHEN u.bsession >= n.session THEN u.versions::jsonb ELSE n.versions END,
              last_applied_generation = greatest(CASE WHEN u.bsession >= n.session THEN u.gen
                                                   ELSE n.last_applied_generation END, u.hgen),
              health = coalesce(u.health::jsonb, n.health),
              health_at = coalesce(to_timestamp(u.health_at / 1000.0), n.health_at),
              last_seen = CASE WHEN u.last_seen > 0 THEN greatest(n.last_seen, to_timestamp(u.last_seen / 1000.0))
                               ELSE n.last_seen END,
              updated_at = now()
            FROM unnest($1::text[], $2::text[], $3::int8[], $4::bool[], $5::text[], $6::int8[], $7::text[],
                        $8::text[], $9::bool[], $10::text[], $11::text[], $12::text[], $13::int8[], $14::text[],
                        $15::int8[], $16::int8[], $17::int8[])
              AS u(site, node, session, online, offline_reason, bsession, birth_role, health_role, repl,
                   agent_version, hostname, versions, gen, health, health_at, last_seen, hgen)
            WHERE n.site_id = u.site AND n.node_id = u.node""";
    private static final String INSERT_EVENTS = """
            INSERT INTO node_event (site_id, node_id, seq, ts, type, severity, message, attrs)
            SELECT u.site, u.node, u.seq, to_timestamp(u.ts / 1000.0), u.type, u.severity, u.message, u.attrs::jsonb
            FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::text[], $6::text[], $7::text[], $8::text[])
              AS u(site, node, seq, ts, type, severity, message, attrs)
            ON CONFLICT DO NOTHING""";

    private final PresenceBuffer buffer;
    private final Pool pool;
    private final SiteStatus siteStatus;
    private final HubConfig config;
    private final Codec codec;
    private final Timer flushTimer;

    public PresenceWriter(PresenceBuffer buffer, Pool pool, SiteStatus siteStatus, HubConfig config,
                          Codec codec, MeterRegistry registry) {
        this.buffer = buffer;
        this.pool = pool;
        this.siteStatus = siteStatus;
        this.config = config;
        this.codec = codec;
        this.flushTimer = Timer.builder("gk8s.flush").description("Time to write one presence batch")
                .publishPercentiles(0.5, 0.99).register(registry);
    }

    /** Quarkus' scheduler runs nothing more often than once a second: a Vert.x timer drives the flush. */
    void schedule(@Observes StartupEvent ev, Vertx vertx) {
        Periodic.every(vertx, config.flushInterval(), this::flush);
    }

    public Uni<Void> flush() {
        PresenceBuffer.Batch batch = buffer.drain();
        if (batch.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        long start = System.nanoTime();
        return pool.withTransaction(tx -> write(tx, batch))
                .ifNoItem().after(config.dbTimeout()).fail()
                .onItem().invoke(() -> flushTimer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS))
                .onFailure().recoverWithItem(e -> {
                    LOG.warnf("presence flush of %d nodes / %d events failed, kept for the next one: %s",
                            batch.nodes().size(), batch.events().size(), e.toString());
                    buffer.requeue(batch);
                    return null;
                });
    }

    /**
     * After the broker stopped (embedded: priority 5), writes what ingest still holds; a message the event loop
     * buffers while a flush runs is written by the next one, until a round finds nothing.
     */
    void flushOnShutdown(@Observes @Priority(10) ShutdownEvent ev) {
        for (int round = 0; round < 5 && !buffer.isEmpty(); round++) {
            flush().await().atMost(config.dbTimeout());
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
                lastSeen = new Long[n], hgen = new Long[n];
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
                if (h.pg() != null) {
                    healthRole[i] = h.pg().role().json();
                    repl[i] = h.pg().streaming();
                }
            }
        }
        Uni<?> chain = tx.preparedQuery(ENSURE_SITES).execute(Tuple.of(sites.toArray(String[]::new)));
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
                            gen, health, healthAt, lastSeen, hgen})));
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
