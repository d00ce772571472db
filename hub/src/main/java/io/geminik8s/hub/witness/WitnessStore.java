package io.geminik8s.hub.witness;

import io.geminik8s.hub.HubConfig;
import io.geminik8s.protocol.WitnessRequest;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
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
            SELECT epoch, holder, lease_expires_at_ms, standby, standby_eligible, holder_renewed_at_ms, version,
                   (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now_ms
            FROM site_lease WHERE site_id = $1""";
    private static final String CAS = """
            UPDATE site_lease SET epoch = $2, holder = $3, lease_expires_at_ms = $4, standby = $5,
                   standby_eligible = $6, holder_renewed_at_ms = $7, version = version + 1, updated_at = now()
            WHERE site_id = $1 AND version = $8 AND epoch <= $2""";
    private static final String GRANT = "INSERT INTO site_epoch_grant (site_id, epoch, holder, granted_ms, reason)"
            + " VALUES ($1, $2, $3, $4, $5)";

    private final Pool pool;
    private final WitnessConfig config;
    private final HubConfig hub;

    public WitnessStore(Pool pool, WitnessConfig config, HubConfig hub) {
        this.pool = pool;
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
                tx.preparedQuery(LOAD).execute(Tuple.of(r.site())).chain(rows -> {
                    Row row = rows.iterator().next();
                    LeaseState current = state(r.site(), row);
                    long now = row.getLong("now_ms");
                    WitnessRules.Decision d = WitnessRules.decide(current, r, now, config.timing());
                    if (d.next().sameAs(current)) {
                        return Uni.createFrom().item(d);
                    }
                    LeaseState n = d.next();
                    Uni<Integer> updated = tx.preparedQuery(CAS).execute(Tuple.from(new Object[] {r.site(), n.epoch(),
                            n.holder(), n.leaseExpiresAt(), n.standby(), n.standbyEligible(), n.holderRenewedAt(),
                            current.version()})).map(rs -> rs.rowCount());
                    if (n.epoch() > current.epoch()) {
                        updated = updated.call(count -> count == 1 ? tx.preparedQuery(GRANT).execute(
                                Tuple.of(r.site(), n.epoch(), n.holder(), now, d.reason())) : Uni.createFrom().voidItem());
                    }
                    return updated.map(count -> count == 1 ? d : null);
                }))).chain(d -> d != null ? Uni.createFrom().item(d) : attempt(r, left - 1));
    }

    private static LeaseState state(String site, Row row) {
        return new LeaseState(site, row.getLong("epoch"), row.getString("holder"), row.getLong("lease_expires_at_ms"),
                row.getString("standby"), row.getBoolean("standby_eligible"), row.getLong("holder_renewed_at_ms"),
                row.getLong("version"));
    }
}
