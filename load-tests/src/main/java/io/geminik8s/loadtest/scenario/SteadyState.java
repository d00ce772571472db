package io.geminik8s.loadtest.scenario;

import io.geminik8s.loadtest.measure.HubMetrics;
import io.geminik8s.loadtest.measure.HubProcess;
import io.geminik8s.loadtest.measure.PgStats;
import io.geminik8s.loadtest.measure.ProcessStats;
import io.geminik8s.loadtest.measure.VisibilityProbe;
import io.geminik8s.loadtest.sim.Fleet;
import io.geminik8s.loadtest.sim.Troubles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Steady state: start the packaged hub (embedded PostgreSQL + broker), ramp the fleet up, wait until the hub counts
 * every node online, then hold with health every T s and a trickle of events while probing ingest-to-visible
 * latency and sampling the hub's memory and CPU every 5 s. Events sent (acknowledged by the broker) are compared
 * with events the hub received.
 */
public final class SteadyState {

    /** {@code hubJar}: hub/target/quarkus-app/quarkus-run.jar. */
    public record Settings(int agents, Duration health, Duration ramp, Duration hold, double eventsPerSecond,
                           int probes, List<String> hubJvmFlags, Path hubJar, Path workDir, Troubles troubles) {

        public Settings(int agents, Duration health, Duration ramp, Duration hold, double eventsPerSecond, int probes,
                        List<String> hubJvmFlags, Path hubJar, Path workDir) {
            this(agents, health, ramp, hold, eventsPerSecond, probes, hubJvmFlags, hubJar, workDir, Troubles.NONE);
        }
    }

    /** No node came online for this long: the fleet will not come up (an agent's reconnect backoff is ≤ 30 s). */
    static final Duration STALLED = Duration.ofSeconds(90);

    private SteadyState() {
    }

    public static Report run(Settings s) throws Exception {
        int sites = Math.max(1, s.agents() / 2);
        Report report = new Report().put("scenario", "steady-state").put("agents", sites * 2).put("sites", sites)
                .put("health_interval_s", s.health().toSeconds()).put("hub_jvm_flags", String.join(" ", s.hubJvmFlags()));
        Path data = Files.createDirectories(s.workDir().resolve("hub-data"));
        try (HubProcess hub = new HubProcess(s.hubJar(), data, s.hubJvmFlags())) {
            report.put("hub_start_ms", hub.start(Duration.ofMinutes(3)));
            PgStats pg = PgStats.of(data.resolve("postgres"));
            try (Fleet fleet = new Fleet(sites, "127.0.0.1", hub.mqttPort(), 2)) {
                long t0 = System.nanoTime();
                fleet.troubles(s.troubles());
                long online = bringOnline(hub, fleet, sites * 2L, s.ramp(), s.health());
                report.put("ramp_to_all_online_s", round((System.nanoTime() - t0) / 1e9)).put("nodes_online", online);
                fleet.startEvents(s.eventsPerSecond());
                fleet.startOfflinePeriods(s.troubles());
                Histogram all = new Histogram(3_600_000L, 3);
                double cpu0 = ProcessStats.cpuSeconds(hub.pid());
                double simCpu0 = ProcessStats.cpuSeconds(ProcessHandle.current().pid()) - cpu0; // own: minus the hub's
                long[] machine0 = ProcessStats.machineTicks();
                double pgCpu0 = pg.cpuSeconds();
                PgStats.Counters pg0 = pg.counters();
                long msgs0 = fleet.counters().messages();
                long bytes0 = fleet.counters().bytesOut();
                double flushes0 = HubMetrics.value(hub, "gk8s_flush_seconds_count", "");
                long h0 = System.nanoTime();
                double rssMax = 0;
                double onlineMin = Double.MAX_VALUE;
                try (VisibilityProbe probe = new VisibilityProbe(hub, fleet.plainAgents(), s.probes())) {
                    long end = h0 + s.hold().toNanos();
                    double cpuPrev = cpu0;
                    long prev = h0;
                    while (System.nanoTime() < end) {
                        Thread.sleep(Math.min(5_000, Math.max(1, (end - System.nanoTime()) / 1_000_000))); // the sampling period
                        long now = System.nanoTime();
                        Histogram h = probe.interval();
                        all.add(h);
                        double cpu = ProcessStats.cpuSeconds(hub.pid());
                        double rss = ProcessStats.rssMb(hub.pid());
                        rssMax = Math.max(rssMax, rss);
                        Map<String, Object> p = new LinkedHashMap<>();
                        p.put("t_s", round((now - h0) / 1e9));
                        p.put("connected", fleet.connectedCount());
                        double hubOnline = HubMetrics.value(hub, "gk8s_nodes_online", "");
                        p.put("hub_nodes_online", (long) hubOnline);
                        onlineMin = Math.min(onlineMin, hubOnline);
                        p.put("probe_p50_ms", h.getTotalCount() == 0 ? null : h.getValueAtPercentile(50));
                        p.put("probe_p99_ms", h.getTotalCount() == 0 ? null : h.getValueAtPercentile(99));
                        p.put("hub_rss_mb", round(rss));
                        p.put("hub_jvm_cpu_pct", round(100 * (cpu - cpuPrev) / ((now - prev) / 1e9)));
                        report.sample(p);
                        cpuPrev = cpu;
                        prev = now;
                    }
                    report.put("probe_timeouts", probe.timeouts()).put("hub_nodes_online_min", (long) onlineMin);
                }
                double holdS = (System.nanoTime() - h0) / 1e9;
                long[] machine1 = ProcessStats.machineTicks();
                double cpu1 = ProcessStats.cpuSeconds(hub.pid());
                double simCpu1 = ProcessStats.cpuSeconds(ProcessHandle.current().pid()) - cpu1;
                double pgCpu1 = pg.cpuSeconds();
                double flushes = HubMetrics.value(hub, "gk8s_flush_seconds_count", "");
                report.put("hub_flushes_per_s", round((flushes - flushes0) / holdS))
                        .put("hub_flush_mean_ms_since_start", round(1000 * HubMetrics.value(hub,
                                "gk8s_flush_seconds_sum", "") / Math.max(1, flushes)))
                        .put("hub_flush_max_ms", round(1000 * HubMetrics.value(hub, "gk8s_flush_seconds_max", "")));
                PgStats.Counters pg1 = pg.counters();
                double heapMb = HubMetrics.value(hub, "jvm_memory_used_bytes", "area=\"heap\"") / 1024 / 1024;
                report.put("pg_xact_per_s", round((pg1.commits() - pg0.commits()) / holdS))
                        .put("pg_rows_written_per_s", round((pg1.rowsWritten() - pg0.rowsWritten()) / holdS))
                        .put("pg_cpu_pct", round(100 * (pgCpu1 - pgCpu0) / holdS))
                        .put("hub_jvm_cpu_pct", round(100 * (cpu1 - cpu0) / holdS)) // the JVM, its embedded broker in it
                        .put("pg_pss_mb", round(pg.pssMb()))
                        .put("hub_heap_used_mb", round(heapMb))
                        .put("hub_heap_kb_per_site", round(heapMb * 1024 / sites));
                double liveMb = hub.liveHeapMb(); // after the hold: the full collection it forces is not measured
                report.put("hub_heap_live_mb", round(liveMb)).put("hub_heap_live_kb_per_site", round(liveMb * 1024 / sites));
                TroubleCheck.report(hub, fleet, s.troubles(), report);
                long hubFiles = ProcessStats.openFiles(hub.pid());
                long simFiles = ProcessStats.openFiles(ProcessHandle.current().pid());
                fleet.close(); // graceful: in-flight QoS 1 events are acknowledged first
                long sent = fleet.counters().eventsSent();
                long stored = awaitStored(pg, sent, Duration.ofSeconds(10));
                long lost = ReconnectStorm.placeLost(new Report(), pg, fleet.counters().ackedAt(), 0, 0, 0);
                report.put("duration_s", round(holdS))
                        .put("ingest_samples", all.getTotalCount())
                        .put("ingest_p50_ms", all.getValueAtPercentile(50))
                        .put("ingest_p99_ms", all.getValueAtPercentile(99))
                        .put("ingest_p999_ms", all.getValueAtPercentile(99.9))
                        .put("ingest_max_ms", all.getMaxValue())
                        .put("hub_rss_mb", round(ProcessStats.rssMb(hub.pid())))
                        .put("hub_rss_max_mb", round(rssMax))
                        // the JVM and its embedded PostgreSQL (pg_ctl detaches the postmaster: not a descendant of the JVM)
                        .put("hub_cpu_pct", round(100 * ((cpu1 - cpu0) + (pgCpu1 - pgCpu0)) / holdS))
                        .put("simulator_cpu_pct", round(100 * (simCpu1 - simCpu0) / holdS))
                        .put("machine_cpu_pct", round(100.0 * (machine1[0] - machine0[0])
                                / Math.max(1, machine1[1] - machine0[1])))
                        .put("machine_kernel_pct", round(100.0 * (machine1[2] - machine0[2])
                                / Math.max(1, machine1[1] - machine0[1])))
                        .put("messages_per_s", round((fleet.counters().messages() - msgs0) / holdS))
                        .put("bytes_per_agent_per_day", Math.round((fleet.counters().bytesOut() - bytes0) / holdS
                                * 86_400 / (sites * 2.0)))
                        .put("events_sent", sent)
                        .put("events_stored", stored)
                        .put("events_lost", lost)
                        .put("publish_failures", fleet.counters().failures())
                        .put("hub_open_files", hubFiles)
                        .put("hub_open_files_limit", ProcessStats.openFilesLimit(hub.pid()))
                        .put("broker_connections_max", (long) HubMetrics.value(hub, "gk8s_broker_connections_max", ""))
                        .put("broker_refused", (long) HubMetrics.value(hub, "gk8s_broker_refused_total", ""))
                        .put("simulator_open_files", simFiles);
                report.check("events_lost == 0", lost == 0)
                        .check("probe_timeouts == 0", Long.valueOf(0).equals(report.get("probe_timeouts")));
            }
        }
        return report;
    }

    /**
     * Events the broker acknowledged must all be in PostgreSQL: waits (the hub flushes every 250 ms) until they are
     * or the deadline passes; returns how many are stored.
     */
    static long awaitStored(PgStats pg, long sent, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long stored = pg.storedEvents("sim.tick");
        while (stored < sent && System.nanoTime() < deadline) {
            Thread.sleep(250); // one hub flush interval
            stored = pg.storedEvents("sim.tick");
        }
        return stored;
    }

    /**
     * Starts health every {@code health} (each agent sends once connected, as in the field: a fleet that cannot all
     * connect must not time out the nodes that did) and connects the fleet over {@code ramp}, then polls the hub's online gauge (refreshed every sweep, 1 s) until it
     * counts {@code expected} nodes. Either step may take 5 minutes more, the second ends early when the count has
     * not grown for {@link #STALLED} (agents retry within 30 s); a failure says how many agents the broker accepted
     * and how close both processes are to their open-file limit.
     */
    static long bringOnline(HubProcess hub, Fleet fleet, long expected, Duration ramp, Duration health)
            throws InterruptedException {
        fleet.startHealth(health.toMillis());
        long deadline = System.nanoTime() + ramp.toNanos() + Duration.ofMinutes(5).toNanos();
        try {
            fleet.connectAll(ramp.toMillis()).get(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            throw stuck("not every agent connected within " + ramp.plusMinutes(5) + " (" + e + ")", hub, fleet);
        }
        deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        double online = -1;
        double best = -1;
        long lastGain = System.nanoTime();
        while (System.nanoTime() < deadline) {
            online = HubMetrics.value(hub, "gk8s_nodes_online", "");
            if (online >= expected) {
                return (long) online;
            }
            if (online > best) {
                best = online;
                lastGain = System.nanoTime();
            } else if (System.nanoTime() - lastGain > STALLED.toNanos()) {
                throw stuck("only " + (long) online + " of " + expected + " nodes online, no gain in "
                        + STALLED.toSeconds() + " s", hub, fleet);
            }
            Thread.sleep(500); // polling another process's gauge; the deadline bounds it
        }
        throw stuck("only " + (long) online + " of " + expected + " nodes online 5 minutes after the ramp", hub, fleet);
    }

    private static IllegalStateException stuck(String what, HubProcess hub, Fleet fleet) {
        long self = ProcessHandle.current().pid();
        return new IllegalStateException(what + "; agents connected: " + fleet.connectedCount() + "; open files: hub "
                + ProcessStats.openFiles(hub.pid()) + " of " + ProcessStats.openFilesLimit(hub.pid()) + ", simulator "
                + ProcessStats.openFiles(self) + " of " + ProcessStats.openFilesLimit(self));
    }

    static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
