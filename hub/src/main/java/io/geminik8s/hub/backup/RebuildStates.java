package io.geminik8s.hub.backup;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Moves a site's rebuilds on (docs/backup.md): a waiting one past its expiry to {@code expired}; a restoring one to
 * {@code done} or {@code failed} by the rebuilding node's {@code backup.rebuild-completed} / {@code -failed} event for
 * the epoch it was granted (received after the grant), or to {@code failed} when none came within
 * {@code gk8s.backup.restore-timeout}. Idempotent; run before the rebuilds are read or a new one recorded.
 */
final class RebuildStates {

    private static final String EXPIRE = "UPDATE site_rebuild SET state = 'expired', updated_at = now(), message ="
            + " 'no node of the site took it within gk8s.backup.rebuild-ttl' WHERE site_id = $1 AND state = 'waiting'"
            + " AND expires_at <= now()";
    private static final String OUTCOME = """
            UPDATE site_rebuild r SET state = o.state, message = o.message, updated_at = now()
            FROM (SELECT rb.id, CASE e.type WHEN 'backup.rebuild-completed' THEN 'done' ELSE 'failed' END AS state,
                         e.message
                  FROM site_rebuild rb JOIN LATERAL (
                      SELECT type, message FROM node_event ne
                      WHERE ne.site_id = rb.site_id AND ne.node_id = rb.node_id
                        AND ne.type IN ('backup.rebuild-completed', 'backup.rebuild-failed')
                        AND ne.received >= rb.granted_at AND ne.attrs ->> 'epoch' = rb.epoch::text
                      ORDER BY ne.received DESC LIMIT 1) e ON true
                  WHERE rb.site_id = $1 AND rb.state = 'restoring') o
            WHERE r.id = o.id""";
    private static final String STUCK = "UPDATE site_rebuild SET state = 'failed', updated_at = now(), message ="
            + " 'no outcome from the node within gk8s.backup.restore-timeout' WHERE site_id = $1"
            + " AND state = 'restoring' AND granted_at < now() - make_interval(secs => $2)";

    private RebuildStates() {
    }

    static Uni<Void> refresh(Pool pool, String site, BackupConfig config) {
        return pool.preparedQuery(EXPIRE).execute(Tuple.of(site))
                .chain(() -> pool.preparedQuery(OUTCOME).execute(Tuple.of(site)))
                .chain(() -> pool.preparedQuery(STUCK).execute(Tuple.of(site,
                        (double) config.restoreTimeout().toSeconds())))
                .replaceWithVoid();
    }
}
