package io.geminik8s.hub.noc;

import io.geminik8s.hub.HubConfig;
import io.geminik8s.hub.api.Times;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What needs a person now: split sites, offline sites, node certificates near expiry (the newest unrevoked one of
 * each node), paused rollouts. Each kind lists at most {@link #LIMIT} items, worst or oldest first, with its total.
 */
@ApplicationScoped
public class NocAlerts {

    static final int LIMIT = 50;
    private static final String SITES = """
            SELECT s.id, s.status_reason, s.updated_at, count(*) OVER () AS total FROM site s
            WHERE s.status = $1 AND EXISTS (SELECT 1 FROM node n WHERE n.site_id = s.id)
            ORDER BY s.updated_at, s.id LIMIT $2""";
    private static final String CERTS = """
            SELECT site_id, node_id, serial, not_after_ms, count(*) OVER () AS total FROM (
                SELECT DISTINCT ON (site_id, node_id) site_id, node_id, serial, not_after_ms, revoked_ms
                FROM enrollment ORDER BY site_id, node_id, not_after_ms DESC) newest
            WHERE revoked_ms IS NULL AND not_after_ms < $1 ORDER BY not_after_ms, site_id, node_id LIMIT $2""";
    private static final String PAUSED = """
            SELECT id, template, to_revision, kind, reason, updated_at, count(*) OVER () AS total FROM rollout
            WHERE phase = 'paused' ORDER BY updated_at, id LIMIT $1""";

    public record Alert(String kind, String title, String detail, String link, Instant since) {
    }

    public record Group(String kind, long total, List<Alert> items) {
    }

    private final Pool pool;
    private final HubConfig hub;
    private final NocConfig config;

    public NocAlerts(Pool pool, HubConfig hub, NocConfig config) {
        this.pool = pool;
        this.hub = hub;
        this.config = config;
    }

    public Uni<Map<String, Group>> all() {
        long certLimit = System.currentTimeMillis() + config.certificateWarning().toMillis();
        Uni<Group> split = sites("split");
        Uni<Group> offline = sites("offline");
        Uni<Group> certs = pool.preparedQuery(CERTS).execute(Tuple.of(certLimit, LIMIT)).map(rows -> {
            List<Alert> out = new ArrayList<>();
            long total = 0;
            for (Row r : rows) {
                total = r.getLong("total");
                Instant at = Instant.ofEpochMilli(r.getLong("not_after_ms"));
                out.add(new Alert("certificate", r.getString("site_id") + "/" + r.getString("node_id"),
                        "certificate " + r.getString("serial") + " expires " + at,
                        "#/sites/" + r.getString("site_id"), at));
            }
            return new Group("certificate", total, out);
        });
        Uni<Group> paused = pool.preparedQuery(PAUSED).execute(Tuple.of(LIMIT)).map(rows -> {
            List<Alert> out = new ArrayList<>();
            long total = 0;
            for (Row r : rows) {
                total = r.getLong("total");
                String what = "certificate-rotation".equals(r.getString("kind")) ? "certificate rotation"
                        : r.getString("template") + " to revision " + r.getInteger("to_revision");
                out.add(new Alert("rollout", "rollout " + r.getLong("id") + ": " + what,
                        r.getString("reason") == null ? "paused" : r.getString("reason"),
                        "#/rollouts/" + r.getLong("id"), Times.instant(r.getOffsetDateTime("updated_at"))));
            }
            return new Group("rollout", total, out);
        });
        return Uni.combine().all().unis(split, offline, certs, paused).asTuple().map(t -> {
            Map<String, Group> out = new LinkedHashMap<>();
            out.put("split", t.getItem1());
            out.put("offline", t.getItem2());
            out.put("certificates", t.getItem3());
            out.put("pausedRollouts", t.getItem4());
            return out;
        }).ifNoItem().after(hub.dbTimeout()).fail();
    }

    private Uni<Group> sites(String status) {
        return pool.preparedQuery(SITES).execute(Tuple.of(status, LIMIT)).map(rows -> {
            List<Alert> out = new ArrayList<>();
            long total = 0;
            for (Row r : rows) {
                total = r.getLong("total");
                out.add(new Alert(status, r.getString("id"), r.getString("status_reason"),
                        "#/sites/" + r.getString("id"), Times.instant(r.getOffsetDateTime("updated_at"))));
            }
            return new Group(status, total, out);
        });
    }
}
