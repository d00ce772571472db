package io.geminik8s.hub.rollout;

import io.geminik8s.hub.rollout.RotationPlan.Node;
import io.geminik8s.hub.rollout.RotationPlan.Step;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A certificate rotation's sites and nodes in PostgreSQL; one statement per tick and kind. */
@ApplicationScoped
public class RotationStore {

    /** What one tick sees of one site of a rotation: its nodes (possibly none yet) and its time zone. */
    public record SiteNodes(String site, String tz, List<Node> nodes) {
    }

    /** Sites matching the selector with an enrolled, unrevoked node, not yet in the rollout ({@code -1}: none). */
    private static final String CANDIDATES = """
            SELECT s.id AS site_id, '0' AS revision FROM site s
            WHERE s.labels @> $1::text::jsonb
              AND EXISTS (SELECT 1 FROM enrollment e WHERE e.site_id = s.id AND e.revoked_ms IS NULL)
              AND NOT EXISTS (SELECT 1 FROM rollout_site rs WHERE rs.rollout_id = $2 AND rs.site_id = s.id)""";
    // each node with its newest unrevoked certificate (the one it presents once it reconnected)
    private static final String NODES = """
            SELECT rs.site_id, s.labels ->> 'tz' AS tz, n.node_id, n.online, n.role, n.session, e.serial,
                   e.renewed_from
            FROM rollout_site rs JOIN site s ON s.id = rs.site_id
            LEFT JOIN node n ON n.site_id = rs.site_id
            LEFT JOIN LATERAL (SELECT serial, renewed_from FROM enrollment x
                               WHERE x.site_id = n.site_id AND x.node_id = n.node_id AND x.revoked_ms IS NULL
                               ORDER BY x.enrolled_ms DESC, x.not_after_ms DESC LIMIT 1) e ON true
            WHERE rs.rollout_id = $1 AND rs.wave <= $2
              AND rs.state IN ('pending', 'deferred', 'in_progress', 'verifying')
            ORDER BY rs.site_id, n.node_id""";
    private static final String STEPS = """
            SELECT site_id, node_id, ord, role, from_serial, session, commanded_ms, to_serial, done_ms, outcome
            FROM rotation_node WHERE rollout_id = $1""";
    private static final String SAVE = """
            INSERT INTO rotation_node (rollout_id, site_id, node_id, ord, role, from_serial, session, command_id,
                                       commanded_ms, to_serial, done_ms)
            SELECT $1, * FROM unnest($2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::int8[],
                                     $8::text[], $9::int8[], $10::text[], $11::int8[])
            ON CONFLICT (rollout_id, site_id, node_id) DO UPDATE SET session = excluded.session,
              command_id = excluded.command_id, commanded_ms = excluded.commanded_ms,
              to_serial = excluded.to_serial, done_ms = excluded.done_ms,
              outcome = CASE WHEN excluded.commanded_ms = rotation_node.commanded_ms
                  OR rotation_node.outcome <> 'ok' THEN rotation_node.outcome END,
              message = CASE WHEN excluded.commanded_ms = rotation_node.commanded_ms
                  OR rotation_node.outcome <> 'ok' THEN rotation_node.message END""";

    public Uni<List<String[]>> candidates(SqlClient c, String selectorJson, long rolloutId) {
        return c.preparedQuery(CANDIDATES).execute(Tuple.of(selectorJson, rolloutId)).map(rows -> {
            List<String[]> out = new ArrayList<>();
            rows.forEach(r -> out.add(new String[] {r.getString("site_id"), r.getString("revision")}));
            return out;
        });
    }

    public Uni<Map<String, SiteNodes>> nodes(SqlClient c, long rollout, int openWave) {
        return c.preparedQuery(NODES).execute(Tuple.of(rollout, openWave)).map(rows -> {
            Map<String, SiteNodes> out = new LinkedHashMap<>();
            for (Row r : rows) {
                SiteNodes s = out.computeIfAbsent(r.getString("site_id"),
                        id -> new SiteNodes(id, r.getString("tz"), new ArrayList<>()));
                if (r.getString("node_id") != null) {
                    s.nodes().add(new Node(r.getString("node_id"), r.getString("role"),
                            Boolean.TRUE.equals(r.getBoolean("online")), r.getLong("session"), r.getString("serial"),
                            r.getString("renewed_from")));
                }
            }
            return out;
        });
    }

    public Uni<Map<String, List<Step>>> steps(SqlClient c, long rollout) {
        return c.preparedQuery(STEPS).execute(Tuple.of(rollout)).map(rows -> {
            Map<String, List<Step>> out = new LinkedHashMap<>();
            for (Row r : rows) {
                out.computeIfAbsent(r.getString("site_id"), k -> new ArrayList<>()).add(new Step(
                        r.getString("node_id"), r.getInteger("ord"), r.getString("role"), r.getString("from_serial"),
                        r.getLong("session"), r.getLong("commanded_ms"), r.getString("to_serial"),
                        r.getLong("done_ms"), r.getString("outcome")));
            }
            return out;
        });
    }

    /** Upserts the steps of the given sites (site id to its steps). */
    public Uni<Void> save(SqlClient c, long rollout, Map<String, List<Step>> bySite) {
        List<String> site = new ArrayList<>(), node = new ArrayList<>(), role = new ArrayList<>(),
                from = new ArrayList<>(), cmd = new ArrayList<>(), to = new ArrayList<>();
        List<Integer> ord = new ArrayList<>();
        List<Long> session = new ArrayList<>(), commanded = new ArrayList<>(), done = new ArrayList<>();
        bySite.forEach((s, steps) -> steps.forEach(st -> {
            site.add(s);
            node.add(st.node());
            ord.add(st.ord());
            role.add(st.role());
            from.add(st.fromSerial());
            session.add(st.session());
            cmd.add(st.commandedAt() < 0 ? null : commandId(rollout, s, st.node()));
            commanded.add(st.commandedAt());
            to.add(st.toSerial());
            done.add(st.doneAt());
        }));
        if (site.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return c.preparedQuery(SAVE).execute(Tuple.from(new Object[] {rollout, site.toArray(String[]::new),
                node.toArray(String[]::new), ord.toArray(Integer[]::new), role.toArray(String[]::new),
                from.toArray(String[]::new), session.toArray(Long[]::new), cmd.toArray(String[]::new),
                commanded.toArray(Long[]::new), to.toArray(String[]::new), done.toArray(Long[]::new)}))
                .replaceWithVoid();
    }

    /** The id of the renew command a rotation sends a node: the same on every resend, so the node runs it once. */
    public static String commandId(long rollout, String site, String node) {
        return "rotate-" + rollout + "-" + site + "-" + node;
    }

    /** Records a node's answer to its renew command (ignored when it is no rotation's). */
    public Uni<Void> result(SqlClient c, String commandId, String outcome, String message) {
        return c.preparedQuery("UPDATE rotation_node SET outcome = $2, message = $3 WHERE command_id = $1")
                .execute(Tuple.of(commandId, outcome, message)).replaceWithVoid();
    }
}
