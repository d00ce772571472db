package io.geminik8s.hub.rollout;

import io.geminik8s.hub.api.Times;
import java.time.Instant;
import io.geminik8s.hub.rollout.RolloutEngine.Effect;
import io.geminik8s.hub.rollout.RolloutEngine.Header;
import io.geminik8s.hub.rollout.RolloutEngine.Phase;
import io.geminik8s.hub.rollout.RolloutEngine.SiteRow;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Rollouts in PostgreSQL: every statement is set-based (one per tick and kind, never one per site). */
@ApplicationScoped
public class RolloutStore {

    /** A rollout's row. */
    public record Stored(long id, String template, int toRevision, String selectorJson, String specJson, Header header,
                         String countsJson, long version, String createdBy, Instant createdAt, Instant updatedAt,
                         String kind) {
        public boolean rotation() {
            return RolloutRequest.ROTATION.equals(kind);
        }
    }

    /**
     * What one tick sees of one active site (from one query); {@code healthy}: the health proof holds now
     * ({@link HealthProof}); {@code failed}: the site said it cannot get there (a node's refusal or failed upgrade),
     * so it fails now rather than at its timeout; {@code reason}: why it is not proven, or failed.
     */
    public record Seen(String site, boolean online, boolean healthy, long applied, Long targetGeneration, String tz,
                       boolean failed, String reason) {
        public Seen(String site, boolean online, boolean healthy, long applied, Long targetGeneration, String tz,
                    boolean failed) {
            this(site, online, healthy, applied, targetGeneration, tz, failed, null);
        }

        public Seen(String site, boolean online, boolean healthy, long applied, Long targetGeneration, String tz) {
            this(site, online, healthy, applied, targetGeneration, tz, false, null);
        }
    }

    /** An operator's command waiting for the driver (pause, resume, abort, approve). */
    public record Command(long id, String actor, String action, String detail) {
    }

    static final String COLUMNS = "id, template, to_revision, selector::text AS selector, spec::text AS spec, phase,"
            + " reason, open_wave, approved_wave, gate_accepted, waves, counts::text AS counts, version, created_by,"
            + " created_at, updated_at, kind";
    private static final String CANDIDATES = """
            SELECT b.site_id, b.revision FROM site_binding b JOIN site s ON s.id = b.site_id
            WHERE b.template = $1 AND s.labels @> $2::text::jsonb
              AND NOT EXISTS (SELECT 1 FROM rollout_site rs WHERE rs.rollout_id = $3 AND rs.site_id = b.site_id)""";
    private static final String INSERT = """
            INSERT INTO rollout (template, to_revision, selector, spec, approved_wave, waves, created_by, kind)
            VALUES ($1, $2, $3::text::jsonb, $4::text::jsonb, $5, $6, $7, $8) RETURNING id""";
    private static final String UPSERT_SITES = """
            INSERT INTO rollout_site (rollout_id, site_id, wave, state, previous_revision, started_at, healthy_since,
                                      reason)
            SELECT $1, * FROM unnest($2::text[], $3::int[], $4::text[], $5::int[], $6::int8[], $7::int8[], $8::text[])
            ON CONFLICT (rollout_id, site_id) DO UPDATE SET wave = excluded.wave, state = excluded.state,
              started_at = excluded.started_at, healthy_since = excluded.healthy_since, reason = excluded.reason,
              updated_at = now()""";
    // a started (or rolled back) site gets the revision as a new binding generation, remembered as its target
    private static final String EFFECTS = """
            WITH u AS (SELECT * FROM unnest($2::text[], $3::int[], $4::int8[]) AS u(site, revision, activate_at)),
                 b AS (UPDATE site_binding sb SET revision = u.revision, generation = sb.generation + 1,
                         activate_not_before = CASE WHEN u.activate_at > 0
                                                    THEN to_timestamp(u.activate_at / 1000.0) END,
                         updated_at = now()
                       FROM u WHERE sb.site_id = u.site RETURNING sb.site_id, sb.generation)
            UPDATE rollout_site rs SET target_generation = b.generation FROM b
            WHERE rs.rollout_id = $1 AND rs.site_id = b.site_id""";
    private static final String HEADER = """
            UPDATE rollout SET phase = $3, reason = $4, open_wave = $5, approved_wave = $6, gate_accepted = $7,
              waves = $8, counts = $9::text::jsonb, version = version + 1, updated_at = now()
            WHERE id = $1 AND version = $2""";
    // one row per node of each unfinished site of the open waves (a site without nodes: one row, node null); what
    // proves the site is judged from them by HealthProof. The runtime is the newest sample's (docs/rollouts.md).
    private static final String SEEN = """
            SELECT rs.site_id, s.status, s.status_reason, s.labels ->> 'tz' AS tz, rs.target_generation,
                   n.node_id, coalesce(n.online, false) AS online, coalesce(n.last_applied_generation, 0) AS applied,
                   n.health ? 'runtime' AS has_runtime,
                   n.health #>> '{runtime,versions,k3s}' AS k3s, n.health #>> '{runtime,k3sReady}' AS k3s_ready,
                   n.health #>> '{runtime,versions,agent}' AS agent,
                   n.health #>> '{runtime,vipAnswers}' AS vip, n.health #>> '{runtime,upgrade,step}' AS step,
                   n.health #>> '{runtime,upgrade,generation}' AS step_generation,
                   left(n.health #>> '{runtime,upgrade,error}', 512) AS step_error
            FROM rollout_site rs JOIN site s ON s.id = rs.site_id LEFT JOIN node n ON n.site_id = rs.site_id
            WHERE rs.rollout_id = $1 AND rs.wave <= $2
              AND rs.state IN ('pending', 'deferred', 'in_progress', 'verifying')
            ORDER BY rs.site_id, n.node_id""";
    private static final String SITES = "SELECT site_id, wave, state, previous_revision, started_at, healthy_since,"
            + " reason FROM rollout_site WHERE rollout_id = $1";
    private static final String COMMANDS = "SELECT id, actor, action, detail FROM rollout_audit"
            + " WHERE rollout_id = $1 AND applied_at IS NULL AND action IN ('pause', 'resume', 'abort', 'approve')"
            + " ORDER BY id";

    public Uni<List<String[]>> candidates(SqlClient c, String template, String selectorJson, long rolloutId) {
        return c.preparedQuery(CANDIDATES).execute(Tuple.of(template, selectorJson, rolloutId)).map(rows -> {
            List<String[]> out = new ArrayList<>();
            rows.forEach(r -> out.add(new String[] {r.getString("site_id"), r.getInteger("revision").toString()}));
            return out;
        });
    }

    public Uni<Long> insert(SqlClient c, RolloutRequest req, String selectorJson, String specJson, Header h,
                            String by) {
        return c.preparedQuery(INSERT).execute(Tuple.from(new Object[] {req.template(), req.toRevision(),
                selectorJson, specJson, h.approvedWave(), h.waves(), by, req.kindOrDefault()}))
                .map(rows -> rows.iterator().next().getLong("id"));
    }

    public Uni<Void> upsertSites(SqlClient c, long rollout, List<SiteRow> rows) {
        if (rows.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        int n = rows.size();
        String[] id = new String[n], state = new String[n];
        Integer[] wave = new Integer[n], prev = new Integer[n];
        Long[] started = new Long[n], healthy = new Long[n];
        String[] reason = new String[n];
        for (int i = 0; i < n; i++) {
            SiteRow r = rows.get(i);
            id[i] = r.id();
            wave[i] = r.wave();
            state[i] = r.state().name().toLowerCase(Locale.ROOT);
            prev[i] = r.previousRevision();
            started[i] = r.startedAt();
            healthy[i] = r.healthySince();
            reason[i] = r.reason();
        }
        return c.preparedQuery(UPSERT_SITES).execute(Tuple.from(new Object[] {rollout, id, wave, state, prev,
                started, healthy, reason})).replaceWithVoid();
    }

    public Uni<Void> effects(SqlClient c, long rollout, List<Effect> effects) {
        if (effects.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        int n = effects.size();
        String[] site = new String[n];
        Integer[] rev = new Integer[n];
        Long[] at = new Long[n];
        for (int i = 0; i < n; i++) {
            if (effects.get(i) instanceof Effect.Start s) {
                site[i] = s.site();
                rev[i] = s.revision();
                at[i] = s.activateAt();
            } else if (effects.get(i) instanceof Effect.RollBack b) {
                site[i] = b.site();
                rev[i] = b.revision();
                at[i] = 0L;
            }
        }
        return c.preparedQuery(EFFECTS).execute(Tuple.of(rollout, site, rev, at)).replaceWithVoid();
    }

    /** Compare-and-set of the header; false when another writer got there first. */
    public Uni<Boolean> header(SqlClient c, long rollout, long version, Header h, String countsJson) {
        return c.preparedQuery(HEADER).execute(Tuple.from(new Object[] {rollout, version,
                h.phase().name().toLowerCase(Locale.ROOT), h.reason(), h.openWave(), h.approvedWave(),
                h.gateAccepted(), h.waves(), countsJson})).map(rows -> rows.rowCount() == 1);
    }

    public Uni<List<Stored>> active(SqlClient c) {
        return stored(c, "SELECT " + COLUMNS + " FROM rollout WHERE phase IN ('running', 'paused') ORDER BY id",
                Tuple.tuple());
    }

    public Uni<List<Stored>> stored(SqlClient c, String sql, Tuple args) {
        return c.preparedQuery(sql).execute(args).map(rows -> {
            List<Stored> out = new ArrayList<>();
            for (Row r : rows) {
                Integer to = r.getInteger("to_revision");
                out.add(new Stored(r.getLong("id"), r.getString("template"), to == null ? RotationPlan.ROTATED : to,
                        r.getString("selector"), r.getString("spec"), new Header(
                        Phase.valueOf(r.getString("phase").toUpperCase(Locale.ROOT)), r.getString("reason"),
                        r.getInteger("open_wave"), r.getInteger("approved_wave"), r.getInteger("gate_accepted"),
                        r.getInteger("waves")), r.getString("counts"), r.getLong("version"),
                        r.getString("created_by"), Times.instant(r.getOffsetDateTime("created_at")),
                        Times.instant(r.getOffsetDateTime("updated_at")),
                        r.getString("kind")));
            }
            return out;
        });
    }

    public Uni<List<SiteRow>> sites(SqlClient c, long rollout) {
        return c.preparedQuery(SITES).execute(Tuple.of(rollout)).map(rows -> {
            List<SiteRow> out = new ArrayList<>();
            for (Row r : rows) {
                out.add(new SiteRow(r.getString("site_id"), r.getInteger("wave"),
                        SiteState.valueOf(r.getString("state").toUpperCase(Locale.ROOT)),
                        r.getInteger("previous_revision"), r.getLong("started_at"), r.getLong("healthy_since"),
                        r.getString("reason")));
            }
            return out;
        });
    }

    public Uni<Map<String, Seen>> seen(SqlClient c, long rollout, int openWave, String k3sVersion,
                                       String agentVersion) {
        return c.preparedQuery(SEEN).execute(Tuple.of(rollout, openWave)).map(rows -> {
            Map<String, Seen> out = new LinkedHashMap<>();
            List<HealthProof.NodeFacts> nodes = new ArrayList<>();
            Row first = null;
            for (Row r : rows) {
                if (first != null && !first.getString("site_id").equals(r.getString("site_id"))) {
                    out.put(first.getString("site_id"), seen(first, nodes, k3sVersion, agentVersion));
                    nodes = new ArrayList<>();
                }
                first = r;
                if (r.getString("node_id") != null) {
                    nodes.add(facts(r));
                }
            }
            if (first != null) {
                out.put(first.getString("site_id"), seen(first, nodes, k3sVersion, agentVersion));
            }
            return out;
        });
    }

    private static Seen seen(Row site, List<HealthProof.NodeFacts> nodes, String k3s, String agent) {
        Long target = site.getLong("target_generation");
        HealthProof.Verdict v = HealthProof.judge(site.getString("status"), site.getString("status_reason"), target,
                k3s, agent, nodes);
        long up = nodes.stream().filter(HealthProof.NodeFacts::online).count();
        long applied = nodes.stream().mapToLong(HealthProof.NodeFacts::applied).min().orElse(0);
        return new Seen(site.getString("site_id"), up >= 2, v.proven(), applied, target, site.getString("tz"),
                v.failed(), v.reason());
    }

    private static HealthProof.NodeFacts facts(Row r) {
        String gen = r.getString("step_generation");
        return new HealthProof.NodeFacts(r.getString("node_id"), r.getBoolean("online"), r.getLong("applied"),
                Boolean.TRUE.equals(r.getBoolean("has_runtime")), r.getString("k3s"), bool(r.getString("k3s_ready")),
                bool(r.getString("vip")), gen == null || !gen.matches("\\d{1,18}") ? null : Long.valueOf(gen),
                r.getString("step"), r.getString("step_error"), r.getString("agent"));
    }

    private static Boolean bool(String text) {
        return text == null ? null : Boolean.valueOf("true".equals(text));
    }

    public Uni<List<Command>> commands(SqlClient c, long rollout) {
        return c.preparedQuery(COMMANDS).execute(Tuple.of(rollout)).map(rows -> {
            List<Command> out = new ArrayList<>();
            rows.forEach(r -> out.add(new Command(r.getLong("id"), r.getString("actor"), r.getString("action"),
                    r.getString("detail"))));
            return out;
        });
    }

    public Uni<Void> commandsApplied(SqlClient c, List<Long> ids, String outcome) {
        return ids.isEmpty() ? Uni.createFrom().voidItem() : c.preparedQuery(
                "UPDATE rollout_audit SET applied_at = now(), outcome = $2 WHERE id = ANY($1)")
                .execute(Tuple.of(ids.toArray(Long[]::new), outcome)).replaceWithVoid();
    }

    public Uni<Long> audit(SqlClient c, long rollout, String actor, String action, String detail, boolean applied) {
        return c.preparedQuery("INSERT INTO rollout_audit (rollout_id, actor, action, detail, applied_at)"
                        + " VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN now() END) RETURNING id")
                .execute(Tuple.of(rollout, actor, action, detail, applied))
                .map(rows -> rows.iterator().next().getLong("id"));
    }
}
