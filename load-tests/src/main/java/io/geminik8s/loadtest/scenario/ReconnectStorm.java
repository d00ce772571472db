package io.geminik8s.loadtest.scenario;

import io.geminik8s.loadtest.measure.HubMetrics;
import io.geminik8s.loadtest.measure.HubProcess;
import io.geminik8s.loadtest.measure.PgStats;
import io.geminik8s.loadtest.measure.ProcessStats;
import io.geminik8s.loadtest.sim.Fleet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Reconnect storm: a steady fleet (health + events), then the hub — and with it the embedded broker — is restarted
 * (SIGTERM: it flushes; same data, same ports). Measured: the restart, then the time until every agent is connected
 * again and the hub has received a birth from each; events acknowledged by the broker at any time must all end up
 * in PostgreSQL.
 */
public final class ReconnectStorm {

    private ReconnectStorm() {
    }

    /**
     * Places each event the broker acknowledged but PostgreSQL lacks in time: before the stop began, while the hub
     * stopped, before it was ready again, or after; returns how many there are — the events lost. (Counts alone
     * cannot tell: an event whose acknowledgement a crash cut off is not counted as sent, yet may be stored.)
     */
    static long placeLost(Report report, PgStats pg, java.util.Map<String, Long> acked, long stopAt, long stoppedAt,
                          long readyAt) throws java.sql.SQLException {
        java.util.Set<String> stored = new java.util.HashSet<>();
        try (var c = pg.connect(); var rs = c.createStatement().executeQuery(
                "SELECT site_id || '/' || node_id || '/' || seq FROM node_event WHERE type = 'sim.tick'")) {
            while (rs.next()) {
                stored.add(rs.getString(1));
            }
        }
        long before = 0, stopping = 0, starting = 0, after = 0;
        StringBuilder offsets = new StringBuilder();
        for (var e : acked.entrySet()) {
            if (!stored.contains(e.getKey())) {
                long at = e.getValue();
                if (at < stopAt) {
                    before++;
                } else if (at < stoppedAt) {
                    stopping++;
                } else if (at < readyAt) {
                    starting++;
                } else {
                    after++;
                }
                offsets.append(offsets.length() == 0 ? "" : " ").append(at - readyAt);
            }
        }
        report.put("lost_acked_before_stop", before).put("lost_acked_while_stopping", stopping)
                .put("lost_acked_before_ready", starting).put("lost_acked_after_ready", after)
                .put("lost_ack_ms_after_ready", offsets.toString());
        return before + stopping + starting + after;
    }

    public static Report run(SteadyState.Settings s) throws Exception {
        int sites = Math.max(1, s.agents() / 2);
        int agents = sites * 2;
        Report report = new Report().put("scenario", "reconnect-storm").put("agents", agents).put("sites", sites)
                .put("health_interval_s", s.health().toSeconds()).put("hub_jvm_flags", String.join(" ", s.hubJvmFlags()));
        Path data = Files.createDirectories(s.workDir().resolve("hub-data"));
        try (HubProcess hub = new HubProcess(s.hubJar(), data, s.hubJvmFlags())) {
            report.put("hub_start_ms", hub.start(Duration.ofMinutes(3)));
            try (Fleet fleet = new Fleet(sites, "127.0.0.1", hub.mqttPort(), 2)) {
                SteadyState.bringOnline(hub, fleet, agents, s.ramp(), s.health());
                fleet.startEvents(s.eventsPerSecond());
                Thread.sleep(s.hold().toMillis()); // steady traffic before the restart: the scenario's own pace
                long t0 = System.nanoTime();
                long stopAt = System.currentTimeMillis();
                hub.stop();
                long stoppedAt = System.currentTimeMillis();
                long stopped = System.nanoTime();
                long ready = hub.start(Duration.ofMinutes(3));
                long readyAt = System.currentTimeMillis();
                long up = System.nanoTime();
                report.put("hub_stop_ms", (stopped - t0) / 1_000_000).put("hub_restart_ready_ms", ready);
                long deadline = up + TimeUnit.MINUTES.toNanos(10);
                double births = 0;
                long connected = 0;
                while (System.nanoTime() < deadline) {
                    connected = fleet.connectedCount();
                    births = HubMetrics.value(hub, "gk8s_messages_in_total", "kind=\"birth\"");
                    Map<String, Object> p = new LinkedHashMap<>();
                    p.put("t_s", SteadyState.round((System.nanoTime() - up) / 1e9));
                    p.put("connected", connected);
                    p.put("births_at_hub", (long) births);
                    p.put("hub_rss_mb", SteadyState.round(ProcessStats.rssMb(hub.pid())));
                    report.sample(p);
                    if (connected == agents && births >= agents) {
                        break;
                    }
                    Thread.sleep(1_000); // sampling period; the deadline bounds the wait
                }
                report.put("all_reconnected_s", SteadyState.round((System.nanoTime() - up) / 1e9))
                        .put("reconnected", connected).put("births_after_restart", (long) births)
                        .put("reconnects_seen_by_agents", fleet.counters().connects() - agents);
                Thread.sleep(5_000); // five seconds of traffic after the storm, then count
                fleet.close();
                long sent = fleet.counters().eventsSent();
                PgStats pg = PgStats.of(data.resolve("postgres"));
                long stored = SteadyState.awaitStored(pg, sent, Duration.ofSeconds(10));
                long lost = placeLost(report, pg, fleet.counters().ackedAt(), stopAt, stoppedAt, readyAt);
                report.put("duration_s", SteadyState.round((System.nanoTime() - t0) / 1e9 + s.hold().toSeconds()))
                        .put("hub_rss_mb", SteadyState.round(ProcessStats.rssMb(hub.pid())))
                        .put("events_sent", sent).put("events_stored", stored)
                        .put("events_lost", lost)
                        .put("publish_failures", fleet.counters().failures())
                        .put("ingest_p50_ms", null).put("ingest_p99_ms", null);
                report.check("events_lost == 0", lost == 0).check("every agent reconnected", connected == agents);
            }
        }
        return report;
    }
}
