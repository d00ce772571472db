package io.geminik8s.hub.rollout;

import io.geminik8s.hub.HubConfig;
import io.geminik8s.hub.LogBudget;
import io.geminik8s.protocol.CommandResult;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Nodes' answers to renew commands, recorded on their rotation step (shown by {@code GET /api/v1/rollouts/{id}/nodes}).
 * Only the node the command went to can answer it: the row must match the result's site and node, which the broker
 * only lets that node publish. A node's answer that it could not renew fails its site at the next tick (unless the
 * node did renew: then its reconnect is waited for); a lost answer leaves the site to the resend and its timeout.
 */
@ApplicationScoped
public class RotationResults {

    private static final Logger LOG = Logger.getLogger(RotationResults.class);
    private final Pool pool;
    private final HubConfig config;
    private final LogBudget failures = new LogBudget(() -> 6);

    public RotationResults(Pool pool, HubConfig config) {
        this.pool = pool;
        this.config = config;
    }

    /** Records the result if it answers a rotation's command; never blocks. */
    public void accept(CommandResult r) {
        if (r.id() == null || !r.id().startsWith("rotate-")) {
            return;
        }
        pool.preparedQuery("UPDATE rotation_node SET outcome = $4, message = $5"
                        + " WHERE command_id = $1 AND site_id = $2 AND node_id = $3")
                .execute(Tuple.of(r.id(), r.site(), r.node(), r.outcome().json(), r.message()))
                .ifNoItem().after(config.dbTimeout()).fail()
                .subscribe().with(rows -> {
                    if (rows.rowCount() == 1 && r.outcome() != CommandResult.Outcome.OK) {
                        LOG.warnf("%s/%s could not renew its certificate (%s): %s", r.site(), r.node(),
                                r.outcome().json(), r.message());
                    }
                }, e -> {
                    if (failures.allow()) {
                        LOG.warnf("result of %s not recorded: %s", r.id(), e.toString());
                    }
                });
    }
}
