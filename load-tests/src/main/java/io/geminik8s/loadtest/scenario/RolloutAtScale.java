package io.geminik8s.loadtest.scenario;

import io.geminik8s.loadtest.measure.HubMetrics;
import io.geminik8s.loadtest.measure.HubProcess;
import io.geminik8s.loadtest.measure.PgStats;
import io.geminik8s.loadtest.measure.ProcessStats;
import io.geminik8s.loadtest.sim.Fleet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * One template change to every site, zero soak (canary 100 % and no in-flight limit unless {@link Shape} says
 * otherwise): how long the hub takes (hub-bound
 * time) and how fast its status answers meanwhile. Live sites are virtual agents over MQTT (they apply the desired
 * state and report it in health). Beyond what one broker process can hold here (20,000 open files), synthetic sites
 * are rows in the hub's database — two online nodes each, healthy — whose "agents" are one SQL statement a second
 * that marks a generation applied once the hub has published it: the hub does all its own work for them (engine,
 * observation queries, bindings, publishing the retained desired state to the broker), only the agents' MQTT
 * answer is replaced.
 */
public final class RolloutAtScale {

    private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*(\\d+)");
    private static final Pattern PHASE = Pattern.compile("\"phase\"\\s*:\\s*\"(\\w+)\"");
    private static final Pattern SUCCEEDED = Pattern.compile("\"succeeded\"\\s*:\\s*(\\d+)");

    private RolloutAtScale() {
    }

    /** The rollout's shape: canary (sites or share), the waves after it (cumulative shares), the in-flight limit. */
    public record Shape(String canary, java.util.List<String> waves, int maxInFlight) {
        public Shape {
            waves = java.util.List.copyOf(waves);
        }

        String strategyJson() {
            return "{\"canary\":\"" + canary + "\",\"waves\":[" + String.join(",", waves.stream()
                    .map(w -> "\"" + w.trim() + "\"").toList()) + "],\"soak\":\"PT0S\",\"maxInFlight\":" + maxInFlight
                    + ",\"failureThreshold\":1,\"siteTimeout\":\"PT30M\"}";
        }
    }

    public static String template(String postgresMaxConnections) {
        return """
                apiVersion: gk8s/v1
                kind: SiteTemplate
                metadata:
                  name: sim
                spec:
                  selector:
                    fleet: sim
                  versions:
                    k3s: v1.31.4+k3s1
                    agent: 0.1.0
                    postgresMajor: 15
                  postgres:
                    settings:
                      max_connections: "%s"
                  vip:
                    device: eth0
                    prefixLength: 24
                  certificates:
                    agentLifetimeDays: 90
                    renewBeforeDays: 30
                  health:
                    cpuPctMax: 100
                    diskPctMax: 95
                    replicationLagBytesMax: 67108864
                    soakSeconds: 0
                """.formatted(postgresMaxConnections);
    }

    public static Report run(SteadyState.Settings s, int synthetic, Shape shape) throws Exception {
        int live = Math.max(1, s.agents() / 2);
        int sites = live + synthetic;
        Report report = new Report().put("scenario", "rollout-at-scale").put("agents", live * 2).put("sites", sites)
                .put("live_sites", live).put("synthetic_sites", synthetic)
                .put("health_interval_s", s.health().toSeconds()).put("hub_jvm_flags", String.join(" ", s.hubJvmFlags()))
                .put("canary", shape.canary()).put("waves_after_canary", String.join(" ", shape.waves()))
                .put("max_in_flight", shape.maxInFlight());
        Path data = Files.createDirectories(s.workDir().resolve("hub-data"));
        try (HubProcess hub = new HubProcess(s.hubJar(), data, s.hubJvmFlags())) {
            report.put("hub_start_ms", hub.start(Duration.ofMinutes(3)));
            check(hub.post("/api/v1/templates", "application/yaml", template("200")), 201);
            PgStats pg = PgStats.of(data.resolve("postgres"));
            try (Fleet fleet = new Fleet(live, "127.0.0.1", hub.mqttPort(), 2); Connection db = pg.connect()) {
                SteadyState.bringOnline(hub, fleet, live * 2L, s.ramp(), s.health());
                long seeded = System.nanoTime();
                SyntheticSites.seed(db, synthetic);
                report.put("synthetic_seed_s", SteadyState.round((System.nanoTime() - seeded) / 1e9));
                SyntheticSites.awaitSettled(db, sites, Duration.ofMinutes(10));
                check(hub.post("/api/v1/templates", "application/yaml", template("250")), 201);

                double cpu0 = ProcessStats.cpuSeconds(hub.pid());
                long t0 = System.nanoTime();
                var created = hub.post("/api/v1/rollouts", "application/json", "{\"template\":\"sim\",\"toRevision\":2,"
                        + "\"strategy\":" + shape.strategyJson() + "}");
                check(created, 201);
                report.put("create_ms", (System.nanoTime() - t0) / 1_000_000);
                Matcher id = ID.matcher(created.body());
                id.find();
                String path = "/api/v1/rollouts/" + id.group(1);
                Histogram status = new Histogram(60_000, 3);
                String phase = "running";
                long deadline = t0 + TimeUnit.MINUTES.toNanos(30);
                long nextSample = 0;
                while (!phase.equals("succeeded") && System.nanoTime() < deadline) {
                    SyntheticSites.apply(db);
                    long q0 = System.nanoTime();
                    var r = hub.get(path);
                    status.recordValue(Math.min(60_000, Math.max(1, (System.nanoTime() - q0) / 1_000_000)));
                    Matcher m = PHASE.matcher(r.body());
                    phase = m.find() ? m.group(1) : phase;
                    if (System.nanoTime() >= nextSample) {
                        Matcher done = SUCCEEDED.matcher(r.body());
                        Map<String, Object> p = new LinkedHashMap<>();
                        p.put("t_s", SteadyState.round((System.nanoTime() - t0) / 1e9));
                        p.put("succeeded", done.find() ? Long.parseLong(done.group(1)) : 0);
                        p.put("hub_rss_mb", SteadyState.round(ProcessStats.rssMb(hub.pid())));
                        p.put("status_ms", (System.nanoTime() - q0) / 1_000_000);
                        report.sample(p);
                        nextSample = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                    }
                    Thread.sleep(100); // the status poller's pace, bounded by the deadline
                }
                double took = (System.nanoTime() - t0) / 1e9;
                report.put("phase", phase).put("rollout_s", SteadyState.round(took))
                        .put("sites_per_s", SteadyState.round(sites / took))
                        .put("status_p50_ms", status.getValueAtPercentile(50))
                        .put("status_p99_ms", status.getValueAtPercentile(99))
                        .put("status_max_ms", status.getMaxValue())
                        .put("tick_p50_ms", SteadyState.round(1000 * HubMetrics.value(hub, "gk8s_rollout_tick_seconds",
                                "quantile=\"0.5\"")))
                        .put("tick_p99_ms", SteadyState.round(1000 * HubMetrics.value(hub, "gk8s_rollout_tick_seconds",
                                "quantile=\"0.99\"")))
                        .put("tick_max_ms", SteadyState.round(1000 * HubMetrics.value(hub,
                                "gk8s_rollout_tick_seconds_max", "")))
                        .put("hub_jvm_cpu_pct", SteadyState.round(100 * (ProcessStats.cpuSeconds(hub.pid()) - cpu0) / took))
                        .put("hub_rss_mb", SteadyState.round(ProcessStats.rssMb(hub.pid())))
                        .put("live_sites_applied", fleet.counters().desiredApplied() / 2)
                        .put("duration_s", SteadyState.round(took)).put("ingest_p50_ms", null)
                        .put("ingest_p99_ms", null).put("events_sent", 0).put("events_lost", 0);
                report.check("the rollout succeeded", "succeeded".equals(phase));
            }
        }
        return report;
    }

    private static void check(java.net.http.HttpResponse<String> r, int expected) {
        if (r.statusCode() != expected) {
            throw new IllegalStateException("hub answered " + r.statusCode() + ": " + r.body());
        }
    }

    /** The synthetic part of the fleet, as rows (see the class comment). */
    static final class SyntheticSites {

        static void seed(Connection db, int n) throws SQLException {
            if (n == 0) {
                return;
            }
            try (var st = db.createStatement()) {
                st.execute("INSERT INTO site (id, labels, status) SELECT 'syn-' || lpad(i::text, 6, '0'),"
                        + " '{\"fleet\":\"sim\"}'::jsonb, 'healthy' FROM generate_series(1, " + n + ") i");
                // each node's last health sample with its runtime (protocol 1.3): what the health proof reads
                st.execute("INSERT INTO node (site_id, node_id, online, role, replication_ok, versions,"
                        + " last_applied_generation, last_seen, health) SELECT s.id, x.node, true, x.role, true,"
                        + " '{\"k3s\":\"v1.31.4+k3s1\"}'::jsonb, 0, now() + interval '1 day',"
                        + " jsonb_build_object('runtime', jsonb_build_object('versions',"
                        + " '{\"k3s\":\"v1.31.4+k3s1\"}'::jsonb, 'k3sReady', true, 'vipAnswers', x.node = 'a'))"
                        + " FROM site s, (VALUES ('a', 'primary'), ('b', 'standby')) x(node, role)"
                        + " WHERE s.id LIKE 'syn-%'");
            }
        }

        /** Every site bound and its generation applied by both nodes (live agents answer through MQTT). */
        static void awaitSettled(Connection db, int sites, Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                apply(db);
                try (var st = db.createStatement(); var rs = st.executeQuery("SELECT count(*) FROM site_binding b"
                        + " WHERE b.template = 'sim' AND b.published_generation >= b.generation AND (SELECT"
                        + " min(coalesce(n.last_applied_generation, 0)) FROM node n WHERE n.site_id = b.site_id)"
                        + " >= b.generation")) {
                    rs.next();
                    if (rs.getLong(1) >= sites) {
                        return;
                    }
                }
                Thread.sleep(500); // polling the database, bounded by the deadline
            }
            throw new IllegalStateException("sites not bound and applied within " + timeout);
        }

        /** The synthetic agents: a published generation is applied. */
        static void apply(Connection db) throws SQLException {
            try (var st = db.createStatement()) {
                st.executeUpdate("UPDATE node n SET last_applied_generation = b.generation FROM site_binding b"
                        + " WHERE n.site_id = b.site_id AND n.site_id LIKE 'syn-%'"
                        + " AND b.published_generation >= b.generation AND n.last_applied_generation < b.generation");
            }
        }
    }
}
