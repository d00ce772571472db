package io.geminik8s.loadtest.scenario;

import io.geminik8s.loadtest.measure.HubProcess;
import io.geminik8s.loadtest.measure.PgStats;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * The NOC view at fleet scale (docs/noc.md): {@code sites} rows in the hub's database (mixed statuses, labels,
 * two nodes each but 2 % pending), then (1) the page's first view — its files, then {@code me}, then the counts, the
 * first table page, the alerts and the stream's first update in parallel, as the page asks — timed cold and then
 * repeatedly, plus heavier table queries; (2) the hub's CPU while 50 sites change every second, first with no viewer,
 * then with {@code viewers} open streams, each re-reading a page of 25 sites sorted worst first on every update (what
 * the page does when its counts move). The load generator runs on the same machine.
 */
public final class NocAtScale {

    private static final List<String> FILES = List.of("/noc/", "/noc/noc.css", "/noc/js/app.js", "/noc/js/api.js",
            "/noc/js/dom.js", "/noc/js/overview.js", "/noc/js/site.js", "/noc/js/rollouts.js", "/noc/js/alerts.js",
            "/noc/js/map.js");

    private NocAtScale() {
    }

    public static Report run(SteadyState.Settings s, int sites, int viewers) throws Exception {
        Report report = new Report().put("scenario", "noc-at-scale").put("agents", 0).put("sites", sites)
                .put("viewers", viewers).put("hold_s", s.hold().toSeconds())
                .put("hub_jvm_flags", String.join(" ", s.hubJvmFlags()));
        Path data = Files.createDirectories(s.workDir().resolve("hub-data"));
        try (HubProcess hub = new HubProcess(s.hubJar(), data, s.hubJvmFlags())) {
            report.put("hub_start_ms", hub.start(Duration.ofMinutes(3)));
            String base = "http://127.0.0.1:" + hub.httpPort();
            String token = Files.readString(data.resolve("api-token")).trim();
            // HTTP/1.1 as a browser speaks to a plain-http hub (the JDK client would multiplex everything over one h2c
            // connection, and 100 open streams fill its 100 concurrent streams)
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            PgStats pg = PgStats.of(data.resolve("postgres"));
            try (Connection db = pg.connect()) {
                long t0 = System.nanoTime();
                seed(db, sites);
                report.put("seed_s", SteadyState.round((System.nanoTime() - t0) / 1e9));

                report.put("first_view_cold_ms", firstView(http, base, token));
                Histogram first = new Histogram(60_000, 3);
                for (int i = 0; i < 20; i++) {
                    first.recordValue(Math.max(1, firstView(http, base, token)));
                }
                report.put("first_view_p50_ms", first.getValueAtPercentile(50))
                        .put("first_view_p99_ms", first.getValueAtPercentile(99))
                        .put("first_view_max_ms", first.getMaxValue());
                for (String q : List.of("sort=status", "sort=-updatedAt", "q=eu-3", "status=split",
                        "label=region%3Deu-2&sort=status", "page=1000&size=25", "version=k3s%3Dv1.31.4%2Bk3s1")) {
                    Histogram h = new Histogram(60_000, 3);
                    for (int i = 0; i < 10; i++) {
                        long q0 = System.nanoTime();
                        get(http, base + "/api/v1/sites?size=25&" + q, token);
                        h.recordValue(Math.max(1, (System.nanoTime() - q0) / 1_000_000));
                    }
                    report.put("table_" + q.replace("%3D", "=").replace("%2B", "+") + "_p50_ms", h.getValueAtPercentile(50));
                }

                Churn churn = new Churn(db, sites);
                double[] idle = cpu(hub, pg, s.hold(), churn, List.of());
                report.put("idle_hub_jvm_cpu_pct", idle[0]).put("idle_postgres_cpu_pct", idle[1]);
                for (boolean worst : List.of(false, true)) {
                    String v = worst ? "worst_" : "default_";
                    List<NocViewer> open = new ArrayList<>();
                    ConcurrentHistogram reads = new ConcurrentHistogram(60_000, 3);
                    for (int i = 0; i < viewers; i++) {
                        open.add(new NocViewer(http, base, token, reads, worst).open());
                    }
                    double[] watched = cpu(hub, pg, s.hold(), churn, List.of());
                    open.forEach(NocViewer::close);
                    long updates = open.stream().mapToLong(x -> x.updates.get()).sum();
                    long pageReads = open.stream().mapToLong(x -> x.pageReads.get()).sum();
                    long tooClose = open.stream().mapToLong(x -> x.tooClose.get()).sum();
                    long failed = open.stream().mapToLong(x -> x.failedReads.get()).sum();
                    report.put(v + "hub_jvm_cpu_pct", watched[0]).put(v + "postgres_cpu_pct", watched[1])
                            .put(v + "per_viewer_hub_jvm_cpu_pct", SteadyState.round((watched[0] - idle[0]) / viewers))
                            .put(v + "per_viewer_postgres_cpu_pct", SteadyState.round((watched[1] - idle[1]) / viewers))
                            .put(v + "updates_per_viewer_per_s",
                                    SteadyState.round(updates / (double) viewers / s.hold().toSeconds()))
                            .put(v + "page_reads_per_s", SteadyState.round(pageReads / (double) s.hold().toSeconds()))
                            .put(v + "updates_closer_than_990ms", tooClose).put(v + "page_reads_failed", failed)
                            .put(v + "page_read_p50_ms", reads.getValueAtPercentile(50))
                            .put(v + "page_read_p99_ms", reads.getValueAtPercentile(99));
                    report.check(v + "every viewer got updates", open.stream().allMatch(x -> x.updates.get() > 0));
                    report.check(v + "no viewer got two updates within 990 ms", tooClose == 0);
                    report.check(v + "no page read failed", failed == 0);
                    if (NocViewer.FAILURE.get() != null) {
                        report.put(v + "first_failed_read", NocViewer.FAILURE.getAndSet(null));
                    }
                }
                report.put("site_changes_per_s", Churn.PER_SECOND);
                flood(report, http, base, token, db, churn);
                report.check("first view p99 under 1 s", first.getValueAtPercentile(99) < 1000);
            }
        }
        return report;
    }

    /**
     * Every site changes at once (a broker restart takes the fleet offline): each viewer hears "more" (re-read
     * everything), and the stream goes on with ordinary updates afterwards.
     */
    private static void flood(Report report, HttpClient http, String base, String token, Connection db, Churn churn)
            throws Exception {
        List<NocViewer> open = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            open.add(new NocViewer(http, base, token, null, false).open());
        }
        for (NocViewer v : open) {
            v.first.get(30, TimeUnit.SECONDS);
        }
        long t0 = System.nanoTime();
        try (var st = db.createStatement()) {
            st.executeUpdate("UPDATE site SET updated_at = now()");
        }
        boolean more = await(() -> open.stream().allMatch(v -> v.more.get() > 0));
        report.put("flood_more_ms", more ? (System.nanoTime() - t0) / 1_000_000 : -1);
        long changedBefore = open.stream().mapToLong(v -> v.withChanges.get()).sum();
        churn.step();
        boolean after = await(() -> open.stream().allMatch(v -> v.withChanges.get() > 0)
                && open.stream().mapToLong(v -> v.withChanges.get()).sum() > changedBefore);
        open.forEach(NocViewer::close);
        report.check("a change of every site reaches every viewer as more", more);
        report.check("ordinary updates follow a flood", after);
    }

    /** Polls {@code condition} every 100 ms for up to 30 s. */
    private static boolean await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < end) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(100); // polling counters another thread sets, bounded by the deadline
        }
        return false;
    }

    /** Sites as rows: 90 % healthy, 5 % degraded, 2 % offline, 1 % split, 2 % pending (no node yet). */
    static void seed(Connection db, int n) throws Exception {
        try (var st = db.createStatement()) {
            st.execute("""
                    INSERT INTO site (id, labels, status, status_reason) SELECT 'noc-' || lpad(i::text, 6, '0'),
                      jsonb_build_object('region', 'eu-' || (mod(i, 7)), 'kind', CASE WHEN mod(i, 3) = 0 THEN 'kiosk' ELSE 'store' END),
                      CASE WHEN mod(i, 100) < 92 THEN 'healthy' WHEN mod(i, 100) < 97 THEN 'degraded' WHEN mod(i, 100) < 99 THEN 'offline'
                           ELSE 'split' END,
                      CASE WHEN mod(i, 100) BETWEEN 92 AND 96 THEN 'standby not streaming' WHEN mod(i, 100) = 99
                           THEN '2 nodes report primary' END
                    FROM generate_series(1, %d) i""".formatted(n));
            st.execute("""
                    INSERT INTO node (site_id, node_id, online, role, replication_ok, versions, agent_version, last_seen)
                    SELECT s.id, x.node, s.status <> 'offline', CASE WHEN s.status = 'split' THEN 'primary' ELSE x.role END,
                      s.status = 'healthy', '{"k3s": "v1.31.4+k3s1", "postgres": "15.10"}'::jsonb, '0.1.0',
                      now() + interval '1 day'
                    FROM site s, (VALUES ('a', 'primary'), ('b', 'standby')) x(node, role)
                    WHERE s.id LIKE 'noc-%' AND right(s.id, 2)::int NOT IN (0, 50)""");
        }
    }

    /** CPU of the hub's JVM alone and of PostgreSQL, in % of one core, over {@code hold} with the churn running. */
    private static double[] cpu(HubProcess hub, PgStats pg, Duration hold, Churn churn, List<NocViewer> viewers)
            throws Exception {
        double jvm0 = jvmCpu(hub.pid());
        double pg0 = pg.cpuSeconds();
        long t0 = System.nanoTime();
        long end = t0 + hold.toNanos();
        while (System.nanoTime() < end) {
            churn.step();
            Thread.sleep(1000); // the churn's pace: 50 site changes a second
        }
        double took = (System.nanoTime() - t0) / 1e9;
        return new double[] {SteadyState.round(100 * (jvmCpu(hub.pid()) - jvm0) / took),
                SteadyState.round(100 * (pg.cpuSeconds() - pg0) / took)};
    }

    private static double jvmCpu(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    }

    /** The page's first view, in ms: files, then who, then counts, page, alerts and the stream's first update. */
    static long firstView(HttpClient http, String base, String token) throws Exception {
        long t0 = System.nanoTime();
        CompletableFuture.allOf(FILES.stream().map(f -> http.sendAsync(HttpRequest.newBuilder(URI.create(base + f))
                .build(), HttpResponse.BodyHandlers.ofString())).toArray(CompletableFuture[]::new)).join();
        get(http, base + "/api/v1/noc/me", token);
        NocViewer stream = new NocViewer(http, base, token, null, false).open();
        CompletableFuture.allOf(CompletableFuture.runAsync(() -> get(http, base + "/api/v1/noc/summary", token)),
                CompletableFuture.runAsync(() -> get(http, base + "/api/v1/sites?size=25", token)),
                CompletableFuture.runAsync(() -> get(http, base + "/api/v1/noc/alerts", token))).join();
        stream.first.get(30, TimeUnit.SECONDS);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        stream.close();
        return ms;
    }

    static String get(HttpClient http, String url, String token) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url))
                    .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + r.body());
            }
            return r.body();
        } catch (java.io.IOException | InterruptedException e) {
            throw new IllegalStateException(url + ": " + e, e);
        }
    }

    /** Site changes, as ingest makes them: status flips between healthy and degraded. */
    static final class Churn {
        static final int PER_SECOND = 50;
        private final Connection db;
        private final int sites;

        Churn(Connection db, int sites) {
            this.db = db;
            this.sites = sites;
        }

        void step() throws Exception {
            Object[] ids = ThreadLocalRandom.current().ints(PER_SECOND, 1, sites + 1)
                    .mapToObj(i -> "noc-" + String.format("%06d", i)).toArray();
            try (var st = db.prepareStatement("UPDATE site SET status = CASE status WHEN 'healthy' THEN 'degraded'"
                    + " WHEN 'degraded' THEN 'healthy' ELSE status END, updated_at = now() WHERE id = ANY(?)")) {
                st.setArray(1, db.createArrayOf("text", ids));
                st.executeUpdate();
            }
        }
    }
}
