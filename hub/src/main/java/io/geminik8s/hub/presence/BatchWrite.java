package io.geminik8s.hub.presence;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.geminik8s.hub.HubConfig;
import io.geminik8s.protocol.Birth;
import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.Event;
import io.geminik8s.protocol.Health;
import io.geminik8s.protocol.HealthDelta;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One presence batch as SQL, inside the flush's transaction: one set-based statement per table (unnest of arrays),
 * never a statement per message, and the touched sites' status re-derived.
 */
final class BatchWrite {

    private static final String ENSURE_SITES = "INSERT INTO site (id) SELECT DISTINCT unnest($1::text[]) ON CONFLICT DO NOTHING";
    private static final String SITE_LABELS = "UPDATE site s SET labels = u.labels::jsonb, updated_at = now()"
            + " FROM unnest($1::text[], $2::text[]) AS u(id, labels) WHERE s.id = u.id AND s.labels <> u.labels::jsonb";
    private static final String ENSURE_NODES = "INSERT INTO node (site_id, node_id)"
            + " SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING";
    // a health sample applies only if it is not older, by its order key, than the stored one (see Health.newerThan);
    // versions: the birth's, with the newest sample's runtime.versions (read from the components) merged over them,
    // unless that sample is of an older session than a birth applied now (the node restarted: the birth is newer)
    // a 1.4 delta (no session) belongs to the stored sample's session and takes what it leaves out from that sample
    private static final String HSESSION = "(CASE WHEN u.hdelta THEN n.health_session ELSE u.hsession END)";
    private static final String NEWER = "(u.health IS NOT NULL AND (n.health_session IS NULL OR (HSESSION IS NOT NULL"
            + " AND (HSESSION, u.hsample) >= (n.health_session, n.health_sample))))";
    // a delta's uptime (it leaves it out): the stored one plus the seconds between the two samples' ts (HealthDelta)
    private static final String UPTIME = "CASE WHEN u.health::jsonb ? 'uptimeS'"
            + " OR jsonb_typeof(n.health -> 'uptimeS') IS DISTINCT FROM 'number'"
            + " OR jsonb_typeof(n.health -> 'ts') IS DISTINCT FROM 'number' THEN '{}'::jsonb"
            + " ELSE jsonb_build_object('uptimeS', (n.health ->> 'uptimeS')::int8"
            + " + round((u.health_at - (n.health ->> 'ts')::int8) / 1000.0)::int8) END";
    // a delta is laid over the stored sample; a complete sample without runtime means "runtime unchanged" (protocol
    // 1.3: the agent sends it when it changed, with a connection's first sample and every 10th): the stored one is
    // kept beside the new sample
    private static final String SAMPLE = "(CASE WHEN u.hdelta THEN coalesce(n.health, '{}'::jsonb) || u.health::jsonb"
            + " || " + UPTIME
            + " ELSE u.health::jsonb || CASE WHEN jsonb_typeof(u.health::jsonb -> 'runtime') = 'object'"
            + " OR jsonb_typeof(n.health -> 'runtime') IS DISTINCT FROM 'object' THEN '{}'::jsonb"
            + " ELSE jsonb_build_object('runtime', n.health -> 'runtime') END END)";
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
              birth_versions = CASE WHEN u.bsession >= n.session THEN u.versions::jsonb ELSE n.birth_versions END,
              versions = (CASE WHEN u.bsession >= n.session THEN u.versions::jsonb ELSE n.birth_versions END)
                         || CASE WHEN coalesce(CASE WHEN NEWER THEN HSESSION ELSE n.health_session END, 0)
                                      >= CASE WHEN u.bsession >= n.session THEN u.bsession ELSE 0 END
                                 THEN coalesce((CASE WHEN NEWER THEN SAMPLE ELSE n.health END)
                                               -> 'runtime' -> 'versions', '{}'::jsonb)
                                 ELSE '{}'::jsonb END,
              last_applied_generation = greatest(CASE WHEN u.bsession >= n.session THEN u.gen
                                                   ELSE n.last_applied_generation END, u.hgen),
              health = CASE WHEN NEWER THEN SAMPLE ELSE n.health END,
              health_at = CASE WHEN NEWER THEN to_timestamp(u.health_at / 1000.0) ELSE n.health_at END,
              health_session = CASE WHEN NEWER THEN HSESSION ELSE n.health_session END,
              health_sample = CASE WHEN NEWER THEN u.hsample ELSE n.health_sample END,
              last_seen = CASE WHEN u.last_seen > 0 THEN greatest(n.last_seen, to_timestamp(u.last_seen / 1000.0))
                               ELSE n.last_seen END,
              updated_at = now()
            FROM unnest($1::text[], $2::text[], $3::int8[], $4::bool[], $5::text[], $6::int8[], $7::text[],
                        $8::text[], $9::bool[], $10::text[], $11::text[], $12::text[], $13::int8[], $14::text[],
                        $15::int8[], $16::int8[], $17::int8[], $18::int8[], $19::int8[], $20::bool[])
              AS u(site, node, session, online, offline_reason, bsession, birth_role, health_role, repl,
                   agent_version, hostname, versions, gen, health, health_at, last_seen, hgen, hsession, hsample,
                   hdelta)
            WHERE n.site_id = u.site AND n.node_id = u.node""".replace("SAMPLE", SAMPLE).replace("NEWER", NEWER)
            .replace("HSESSION", HSESSION);
    private static final String INSERT_EVENTS = """
            INSERT INTO node_event (site_id, node_id, seq, ts, type, severity, message, attrs)
            SELECT u.site, u.node, u.seq, to_timestamp(u.ts / 1000.0), u.type, u.severity, u.message, u.attrs::jsonb
            FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::text[], $6::text[], $7::text[], $8::text[])
              AS u(site, node, seq, ts, type, severity, message, attrs)
            ON CONFLICT DO NOTHING""";

    private static final String CANARY = "INSERT INTO hub_replica (instance, canary_at) VALUES ($1, now())"
            + " ON CONFLICT (instance) DO UPDATE SET canary_at = excluded.canary_at";

    private final SiteStatus siteStatus;
    private final HubConfig config;
    private final Codec codec;

    BatchWrite(SiteStatus siteStatus, HubConfig config, Codec codec) {
        this.siteStatus = siteStatus;
        this.config = config;
        this.codec = codec;
    }

    Uni<Void> write(SqlClient tx, PresenceBuffer.Batch batch) {
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
        Boolean[] online = new Boolean[n], repl = new Boolean[n], hdelta = new Boolean[n];
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
                hdelta[i] = HealthDelta.isDelta(h);
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
                            gen, health, healthAt, lastSeen, hgen, hsession, hsample, hdelta})));
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
