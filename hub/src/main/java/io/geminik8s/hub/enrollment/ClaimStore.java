package io.geminik8s.hub.enrollment;

import io.geminik8s.hub.HubConfig;
import io.geminik8s.hub.api.ApiProblem;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.Map;

/**
 * A claim with its pair and hardware pins, in one transaction: nothing of it is written unless the claim is. Pins are
 * for nodes of the pair that applies — the claim's own, else the one stored for the site by an earlier claim, which
 * enrollment holds every node to ({@link EnrollResource}).
 */
@ApplicationScoped
public class ClaimStore {

    /** What the claim records; {@code pair} already checked, or null when the claim names none. */
    record NewClaim(String site, SitePair pair, Map<String, HardwareId> pins, String tokenHash, String by,
                    Instant now, Instant expires, boolean approval) {
    }

    private final Pool pool;
    private final HubConfig config;
    private final SitePairStore pairs;

    public ClaimStore(Pool pool, HubConfig config, SitePairStore pairs) {
        this.pool = pool;
        this.config = config;
        this.pairs = pairs;
    }

    Uni<Void> claim(NewClaim c) {
        long now = c.now().toEpochMilli();
        return pool.withTransaction(tx -> (c.pair() != null ? pairs.save(tx, c.site(), c.pair(), now)
                        : pinsFitStoredPair(tx, c.site(), c.pins()))
                .chain(() -> HardwareStore.pin(tx, c.site(), c.pins(), now))
                .chain(() -> EnrollmentStore.claim(tx, c.tokenHash(), c.site(), c.by(), c.now(), c.expires(),
                        c.approval())))
                .ifNoItem().after(config.dbTimeout()).fail();
    }

    private Uni<Void> pinsFitStoredPair(SqlClient tx, String site, Map<String, HardwareId> pins) {
        if (pins.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return pairs.loadLocked(tx, site).chain(stored -> {
            if (stored.isPresent()) {
                var nodes = stored.get().pair().nodes().keySet();
                for (String node : new java.util.TreeSet<>(pins.keySet())) {
                    if (!nodes.contains(node)) {
                        return Uni.createFrom().failure(ApiProblem.badRequest("hardware: '" + node + "' is not one of"
                                + " the pair's nodes (" + String.join(", ", new java.util.TreeSet<>(nodes)) + ", from an"
                                + " earlier claim of " + site + "; only they may enroll)"));
                    }
                }
            }
            return Uni.createFrom().voidItem();
        });
    }
}
