package io.geminik8s.hub.backup;

import io.geminik8s.hub.HubConfig;
import io.geminik8s.hub.LogBudget;
import io.geminik8s.hub.ingest.IngestClient;
import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.Command;
import io.geminik8s.protocol.CommandResult;
import io.geminik8s.protocol.SchemaVersion;
import io.geminik8s.protocol.Topics;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * A restore's commands and their answers (docs/backup.md): the primary's answer to {@code backup-restore} moves the
 * restore to {@code rebuilding} and sends {@code standby-rebuild} to the standby (or to {@code done} without one),
 * the standby's answer to {@code done}; any other answer to {@code failed} with the node's message. Only the node a
 * command went to can answer it (the row must match the result's site and node, which the broker only lets that
 * node publish), and only once (the state must still be the one the command was sent in). Never blocks.
 */
@ApplicationScoped
public class RestoreResults {

    private static final Logger LOG = Logger.getLogger(RestoreResults.class);
    static final String STANDBY_SUFFIX = "-standby";
    private static final String RESTORED = "UPDATE site_restore SET state = CASE WHEN NOT $4 THEN 'failed'"
            + " WHEN standby_node IS NULL THEN 'done' ELSE 'rebuilding' END, message = $5, updated_at = now()"
            + " WHERE id = $1 AND site_id = $2 AND primary_node = $3 AND state = 'restoring' RETURNING standby_node, state";
    private static final String REBUILT = "UPDATE site_restore SET state = CASE WHEN $4 THEN 'done' ELSE 'failed' END,"
            + " message = $5, updated_at = now() WHERE id = $1 AND site_id = $2 AND standby_node = $3"
            + " AND state = 'rebuilding'";
    private static final String NOT_SENT = "UPDATE site_restore SET state = 'failed', message = $2, updated_at = now()"
            + " WHERE id = $1 AND state IN ('restoring', 'rebuilding')";

    private final Pool pool;
    private final HubConfig hub;
    private final BackupConfig config;
    private final IngestClient down;
    private final Codec codec;
    private final LogBudget failures = new LogBudget(() -> 6);

    public RestoreResults(Pool pool, HubConfig hub, BackupConfig config, IngestClient down, Codec codec) {
        this.pool = pool;
        this.hub = hub;
        this.config = config;
        this.down = down;
        this.codec = codec;
    }

    /** Sends {@code name} to {@code node} as command {@code commandId}; its expiry (ms). A failure fails the restore. */
    Uni<Long> send(String site, String node, String commandId, String name, Map<String, String> args) {
        long now = System.currentTimeMillis();
        long expires = now + config.restoreCommandTtl().toMillis();
        Command c = new Command(SchemaVersion.CURRENT.toString(), commandId, site, node, name, args, now, expires);
        String restoreId = restoreId(commandId);
        return down.publish(Topics.command(site, node), codec.encode(c), false).replaceWith(expires)
                .onFailure().call(e -> pool.preparedQuery(NOT_SENT).execute(Tuple.of(restoreId, name + " not sent to "
                        + node + ": " + e.getMessage())));
    }

    /** Records the result if it answers a restore's command. */
    public void accept(CommandResult r) {
        if (r.id() == null || !r.id().startsWith("restore-")) {
            return;
        }
        boolean ok = r.outcome() == CommandResult.Outcome.OK;
        String message = r.node() + ": " + r.outcome().json() + ": " + r.message();
        boolean standby = r.id().endsWith(STANDBY_SUFFIX);
        Uni<?> step = standby
                ? pool.preparedQuery(REBUILT).execute(Tuple.of(restoreId(r.id()), r.site(), r.node(), ok, message))
                : pool.preparedQuery(RESTORED).execute(Tuple.of(r.id(), r.site(), r.node(), ok, message))
                .chain(rows -> {
                    Row row = rows.iterator().hasNext() ? rows.iterator().next() : null;
                    if (row == null || !"rebuilding".equals(row.getString("state"))) {
                        return Uni.createFrom().voidItem();
                    }
                    return send(r.site(), row.getString("standby_node"), r.id() + STANDBY_SUFFIX, "standby-rebuild",
                            Map.of()).replaceWithVoid();
                });
        step.ifNoItem().after(hub.dbTimeout()).fail().subscribe().with(x -> {
            if (!ok) {
                LOG.warnf("restore %s: %s", restoreId(r.id()), message);
            }
        }, e -> {
            if (failures.allow()) {
                LOG.warnf("result of %s not recorded: %s", r.id(), e.toString());
            }
        });
    }

    private static String restoreId(String commandId) {
        return commandId.endsWith(STANDBY_SUFFIX) ? commandId.substring(0, commandId.length()
                - STANDBY_SUFFIX.length()) : commandId;
    }
}
