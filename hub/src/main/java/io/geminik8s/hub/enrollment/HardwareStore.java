package io.geminik8s.hub.enrollment;

import io.geminik8s.hub.HubConfig;
import io.geminik8s.hub.api.ApiProblem;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The hardware identity each node's enrollments and renewals must present ({@code node_hardware}): pinned by an
 * admin with a claim, or recorded by the node's first request that presented one (trust on first use). A request
 * presenting another identity, or none, once one is recorded is refused with 403 until an admin pins another or
 * clears it.
 */
@ApplicationScoped
public class HardwareStore {

    private static final String PIN = "INSERT INTO node_hardware (site_id, node_id, hardware_id, pinned, recorded_ms)"
            + " VALUES ($1, $2, $3, true, $4) ON CONFLICT (site_id, node_id) DO UPDATE SET hardware_id ="
            + " excluded.hardware_id, pinned = true, recorded_ms = excluded.recorded_ms";
    private static final String LOOK = "SELECT hardware_id, pinned FROM node_hardware WHERE site_id = $1"
            + " AND node_id = $2";
    /** Records the identity if the node has none yet; either way answers (and row-locks) what is recorded. */
    private static final String FIRST_USE = "INSERT INTO node_hardware (site_id, node_id, hardware_id, pinned,"
            + " recorded_ms) VALUES ($1, $2, $3, false, $4) ON CONFLICT (site_id, node_id) DO UPDATE SET hardware_id ="
            + " node_hardware.hardware_id RETURNING hardware_id, pinned";
    private static final String CLEAR = "DELETE FROM node_hardware WHERE site_id = $1 AND node_id = $2";
    private static final String LIST = "SELECT site_id, node_id, hardware_id, pinned, recorded_ms FROM node_hardware"
            + " WHERE ($1::text IS NULL OR site_id = $1) ORDER BY site_id, node_id LIMIT $2 OFFSET $3";
    private static final String COUNT = "SELECT count(*) FROM node_hardware WHERE ($1::text IS NULL OR site_id = $1)";

    /** A node's recorded identity: {@code pinned} by a claim, or recorded at its first use. */
    public record Recorded(String site, String node, String hardwareId, boolean pinned, Instant recordedAt) {
    }

    private final Pool pool;
    private final HubConfig config;

    public HardwareStore(Pool pool, HubConfig config) {
        this.pool = pool;
        this.config = config;
    }

    /** Pins each node's identity (replacing what was recorded), in the claim's transaction ({@link ClaimStore}). */
    static Uni<Void> pin(SqlClient tx, String site, Map<String, HardwareId> pins, long now) {
        Uni<Void> all = Uni.createFrom().voidItem();
        for (var p : Map.copyOf(pins).entrySet()) {
            all = all.chain(() -> tx.preparedQuery(PIN).execute(Tuple.of(site, p.getKey(), p.getValue().value(),
                    now)).replaceWithVoid());
        }
        return all;
    }

    /** Fails with 403 when {@code presented} is not what is recorded for the node (read only; before any work). */
    Uni<Void> check(String site, String node, HardwareId presented) {
        return pool.preparedQuery(LOOK).execute(Tuple.of(site, node))
                .chain(rows -> verdict(rows, site, node, presented)).ifNoItem().after(config.dbTimeout()).fail();
    }

    /**
     * In the transaction that records the certificate: records {@code presented} if the node has no identity yet,
     * else fails with 403 unless it is the recorded one.
     */
    static Uni<Void> admit(SqlClient tx, String site, String node, HardwareId presented, long now) {
        Uni<RowSet<Row>> recorded = presented == null
                ? tx.preparedQuery(LOOK + " FOR UPDATE").execute(Tuple.of(site, node))
                : tx.preparedQuery(FIRST_USE).execute(Tuple.of(site, node, presented.value(), now));
        return recorded.chain(rows -> verdict(rows, site, node, presented));
    }

    /** Removes the node's recorded identity; false when it had none. */
    Uni<Boolean> clear(String site, String node) {
        return pool.preparedQuery(CLEAR).execute(Tuple.of(site, node)).map(r -> r.rowCount() > 0)
                .ifNoItem().after(config.dbTimeout()).fail();
    }

    /** One page of what is recorded (as {@code GET /api/v1/sites}: {@code page} 0-based), ordered by site and node. */
    public record Page(List<Recorded> items, int page, int size, long total) {
    }

    Uni<Page> list(String site, int page, int size) {
        Uni<Long> total = pool.preparedQuery(COUNT).execute(Tuple.of(site)).map(r -> r.iterator().next().getLong(0));
        return Uni.combine().all().unis(total, list(site, size, (long) page * size)).asTuple()
                .map(t -> new Page(t.getItem2(), page, size, t.getItem1())).ifNoItem().after(config.dbTimeout()).fail();
    }

    private Uni<List<Recorded>> list(String site, int limit, long offset) {
        return pool.preparedQuery(LIST).execute(Tuple.of(site, limit, offset)).map(rows -> {
            List<Recorded> out = new ArrayList<>();
            for (Row r : rows) {
                out.add(new Recorded(r.getString("site_id"), r.getString("node_id"), r.getString("hardware_id"),
                        r.getBoolean("pinned"), Instant.ofEpochMilli(r.getLong("recorded_ms"))));
            }
            return out;
        }).ifNoItem().after(config.dbTimeout()).fail();
    }

    private static Uni<Void> verdict(RowSet<Row> rows, String site, String node, HardwareId presented) {
        if (!rows.iterator().hasNext()) {
            return Uni.createFrom().voidItem();
        }
        Row r = rows.iterator().next();
        if (presented != null && presented.value().equals(r.getString("hardware_id"))) {
            return Uni.createFrom().voidItem();
        }
        String recorded = r.getBoolean("pinned") ? "is pinned to a hardware identity by its claim"
                : "first enrolled from hardware that identified itself";
        String found = presented == null ? "this request presents none"
                : "this request presents another ('" + presented.value() + "')";
        return Uni.createFrom().failure(new ApiProblem(403, "Forbidden", "hardwareId: node " + site + "/" + node + " "
                + recorded + " and " + found + "; an admin may pin another (gk8s site claim " + site + " --hardware "
                + node + "=ID) or clear it (gk8s site clear-hardware " + site + " " + node + ")"));
    }
}
