package io.geminik8s.hub.witness;

import io.geminik8s.hub.HubConfig;
import io.geminik8s.protocol.WitnessRequest;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.mutiny.Uni;
import java.util.List;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Decides witness requests against the durable record: read the site's lease and PostgreSQL's clock, apply
 * {@link WitnessRules}, write the result with compare-and-set on {@code version} (and record a new epoch in
 * {@code site_epoch_grant}, whose primary key forbids granting an epoch twice). A lost race is decided again on
 * fresh state.
 */
@ApplicationScoped
public class WitnessStore {

    private static final String ENSURE = "INSERT INTO site_lease (site_id) VALUES ($1) ON CONFLICT DO NOTHING";
    private static final String LOAD = """
            SELECT epoch, holder, lease_expires_at_ms, standby, standby_eligible, holder_renewed_at_ms, version, released,
                   (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now_ms
            FROM site_lease WHERE site_id = $1""";
    private static final String CAS = """
            UPDATE site_lease SET epoch = $2, holder = $3, lease_expires_at_ms = $4, standby = $5,
                   standby_eligible = $6, holder_renewed_at_ms = $7, released = $9, version = version + 1,
                   updated_at = now()
            WHERE site_id = $1 AND version = $8 AND epoch <= $2""";
    private static final String GRANT = "INSERT INTO site_epoch_grant (site_id, epoch, holder, granted_ms, reason)"
            + " VALUES ($1, $2, $3, $4, $5)";

    /**
     * The site's rebuild authorization still waiting (docs/backup.md), locked, with the site's nodes: the two of its
     * enrolled pair (site_pair, the only ids that may enroll) or, without one, those that ever sent a birth (a
     * message of another kind alone does not make a node one of the site's).
     */
    private static final String WAITING = """
            SELECT r.id, r.target, (extract(epoch FROM r.requested_at) * 1000)::bigint AS requested_ms, coalesce(
                (SELECT array_agg(k ORDER BY k) FROM site_pair p, jsonb_object_keys(p.nodes) k WHERE p.site_id = r.site_id),
                (SELECT coalesce(array_agg(n.node_id ORDER BY n.node_id), '{}') FROM node n
                 WHERE n.site_id = r.site_id AND n.session > 0)) AS nodes
            FROM site_rebuild r WHERE r.site_id = $1 AND r.state = 'waiting' AND r.expires_at > now() FOR UPDATE OF r""";
    private static final String TAKE = "UPDATE site_rebuild SET state = 'restoring', node_id = $2, epoch = $3,"
            + " granted_at = now(), updated_at = now(), message = $4 WHERE id = $1 AND state = 'waiting'";

    private static final String EVENT = """
            INSERT INTO node_event (site_id, node_id, seq, ts, type, severity, message, attrs)
            VALUES ($1, '_witness', nextval('witness_event_seq'), to_timestamp($2 / 1000.0), $3, $4, $5, $6::text::jsonb)
            ON CONFLICT DO NOTHING""";

    private final Pool pool;
    private final ObjectMapper json;
    private final WitnessConfig config;
    private final HubConfig hub;

    public WitnessStore(Pool pool, WitnessConfig config, HubConfig hub, ObjectMapper json) {
        this.pool = pool;
        this.json = json;
        this.config = config;
        this.hub = hub;
    }

    /** The decision; when the compare-and-set keeps losing, a {@code wait} of 100 ms. */
    public Uni<WitnessRules.Decision> decide(WitnessRequest request) {
        return attempt(request, config.casAttempts()).ifNoItem().after(hub.dbTimeout()).fail();
    }

    public Uni<LeaseState> load(String site) {
        return pool.preparedQuery(ENSURE).execute(Tuple.of(site))
                .chain(() -> pool.preparedQuery(LOAD).execute(Tuple.of(site)))
                .map(rows -> state(site, rows.iterator().next()));
    }

    private Uni<WitnessRules.Decision> attempt(WitnessRequest r, int left) {
        if (left == 0) {
            return Uni.createFrom().item(new WitnessRules.Decision(io.geminik8s.protocol.WitnessReply.Outcome.WAIT,
                    null, null, 100L, "busy: concurrent witness decisions for this site"));
        }
        return pool.preparedQuery(ENSURE).execute(Tuple.of(r.site())).chain(() -> pool.withTransaction(tx ->
                tx.preparedQuery(LOAD).execute(Tuple.of(r.site())).chain(rows -> rebuild(tx, r).chain(waiting -> {
                    Row row = rows.iterator().next();
                    LeaseState current = state(r.site(), row);
                    long now = row.getLong("now_ms");
                    WitnessRules.Decision d = WitnessRules.decide(current, r, now, config.timing(), waiting);
                    Uni<Void> events = record(tx, r.site(), WitnessEvents.of(current, r, d, now), now);
                    if (d.next().sameAs(current)) {
                        return events.replaceWith(d);
                    }
                    LeaseState n = d.next();
                    Uni<Integer> updated = tx.preparedQuery(CAS).execute(Tuple.from(new Object[] {r.site(), n.epoch(),
                            n.holder(), n.leaseExpiresAt(), n.standby(), n.standbyEligible(), n.holderRenewedAt(),
                            current.version(), n.released()})).map(rs -> rs.rowCount());
                    if (n.epoch() > current.epoch()) {
                        updated = updated.call(count -> count == 1 ? tx.preparedQuery(GRANT).execute(
                                Tuple.of(r.site(), n.epoch(), n.holder(), now, d.reason())) : Uni.createFrom().voidItem());
                        if (waiting != null && r.op() == WitnessRequest.Op.REBUILD) { // consumed with the grant
                            updated = updated.call(count -> count == 1 ? tx.preparedQuery(TAKE).execute(Tuple.of(
                                    waiting.id(), n.holder(), n.epoch(), d.reason())) : Uni.createFrom().voidItem());
                        }
                    }
                    return updated.chain(count -> count == 1 ? events.replaceWith(d) : Uni.createFrom().nullItem());
                })))).chain(d -> d != null ? Uni.createFrom().item(d) : attempt(r, left - 1));
    }

    /** For a {@code rebuild}: the authorization waiting for the site, or null; nothing is read for other requests. */
    private static Uni<WitnessRules.Rebuild> rebuild(SqlConnection tx, WitnessRequest r) {
        if (r.op() != WitnessRequest.Op.REBUILD) {
            return Uni.createFrom().nullItem();
        }
        return tx.preparedQuery(WAITING).execute(Tuple.of(r.site())).map(rows -> {
            if (!rows.iterator().hasNext()) {
                return null;
            }
            Row w = rows.iterator().next();
            java.time.OffsetDateTime to = w.getOffsetDateTime("target");
            return new WitnessRules.Rebuild(w.getString("id"), java.util.Set.of(w.getArrayOfStrings("nodes")),
                    to == null ? null : to.toInstant().toString(), w.getLong("requested_ms"));
        });
    }

    private Uni<Void> record(SqlConnection tx, String site, List<WitnessEvents.SiteEvent> events, long now) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (WitnessEvents.SiteEvent e : events) {
            String attrs;
            try {
                attrs = json.writeValueAsString(e.attrs());
            } catch (JsonProcessingException ex) {
                throw new IllegalStateException(ex);
            }
            chain = chain.chain(() -> tx.preparedQuery(EVENT).execute(Tuple.from(new Object[] {site, now, e.type(),
                    e.severity().json(), e.message(), attrs})).replaceWithVoid());
        }
        return chain;
    }

    private static LeaseState state(String site, Row row) {
        return new LeaseState(site, row.getLong("epoch"), row.getString("holder"), row.getLong("lease_expires_at_ms"),
                row.getString("standby"), row.getBoolean("standby_eligible"), row.getLong("holder_renewed_at_ms"),
                row.getLong("version"), row.getBoolean("released"));
    }
}
