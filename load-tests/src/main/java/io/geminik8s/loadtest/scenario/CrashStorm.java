package io.geminik8s.loadtest.scenario;

import io.geminik8s.loadtest.measure.HubMetrics;
import io.geminik8s.loadtest.measure.HubProcess;
import io.geminik8s.loadtest.measure.PgStats;
import io.geminik8s.loadtest.sim.Fleet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Crash storm: a steady fleet sending QoS 1 events, and the hub {@code kill -9}'d {@code kills} times, each time
 * restarted on the same data and ports once it is down. Per crash: the restart until ready, and the time from the
 * kill until ingest has resumed (an event sent after the restart is in PostgreSQL); whether readiness said UP before
 * ingest worked. At the end every event the broker acknowledged must be in PostgreSQL. Checks: {@code events_lost}
 * 0, every crash resumed, readiness never UP while deaf.
 */
public final class CrashStorm {

    private CrashStorm() {
    }

    public static Report run(SteadyState.Settings s, int kills, Duration between) throws Exception {
        int sites = Math.max(1, s.agents() / 2);
        int agents = sites * 2;
        Report report = new Report().put("scenario", "crash-storm").put("agents", agents).put("sites", sites)
                .put("kills", kills).put("between_kills_s", between.toSeconds())
                .put("health_interval_s", s.health().toSeconds()).put("events_per_s", s.eventsPerSecond())
                .put("hub_jvm_flags", String.join(" ", s.hubJvmFlags()));
        Path data = Files.createDirectories(s.workDir().resolve("hub-data"));
        long t0 = System.nanoTime();
        try (HubProcess hub = new HubProcess(s.hubJar(), data, s.hubJvmFlags())) {
            report.put("hub_start_ms", hub.start(Duration.ofMinutes(3)));
            try (Fleet fleet = new Fleet(sites, "127.0.0.1", hub.mqttPort(), 2)) {
                SteadyState.bringOnline(hub, fleet, agents, s.ramp(), s.health());
                fleet.startEvents(s.eventsPerSecond());
                List<Double> resumed = new ArrayList<>();
                List<Long> restarts = new ArrayList<>();
                int readyWhileDeaf = 0;
                for (int k = 1; k <= kills; k++) {
                    Thread.sleep(between.toMillis()); // traffic between crashes: the scenario's own pace
                    long killed = System.nanoTime();
                    hub.kill();
                    long ready = hub.start(Duration.ofMinutes(3));
                    restarts.add(ready);
                    // readiness said UP: ingest must work now, so an event sent from here on is stored promptly
                    long sentBefore = fleet.counters().eventsSent();
                    PgStats pg = PgStats.of(data.resolve("postgres"));
                    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                    boolean ok = false;
                    while (System.nanoTime() < deadline) {
                        if (pg.storedEvents("sim.tick") > sentBefore) {
                            ok = true;
                            break;
                        }
                        Thread.sleep(50); // polling the database; the deadline bounds it
                    }
                    double resumedS = SteadyState.round((System.nanoTime() - killed) / 1e9);
                    if (ok) {
                        resumed.add(resumedS);
                    } else {
                        readyWhileDeaf++;
                    }
                    Map<String, Object> p = new LinkedHashMap<>();
                    p.put("kill", k);
                    p.put("restart_ready_ms", ready);
                    p.put("ingest_resumed_s", ok ? resumedS : -1);
                    p.put("online_at_hub", (long) HubMetrics.value(hub, "gk8s_nodes_online", ""));
                    report.sample(p);
                }
                Thread.sleep(5_000); // traffic after the last crash, then count
                fleet.close();
                long sent = fleet.counters().eventsSent();
                PgStats pg = PgStats.of(data.resolve("postgres"));
                long stored = SteadyState.awaitStored(pg, sent, Duration.ofSeconds(30));
                resumed.sort(Double::compare);
                restarts.sort(Long::compare);
                report.put("restart_ready_ms_median", restarts.get(restarts.size() / 2))
                        .put("restart_ready_ms_max", restarts.get(restarts.size() - 1))
                        .put("ingest_resumed_s_median", resumed.isEmpty() ? -1 : resumed.get(resumed.size() / 2))
                        .put("ingest_resumed_s_max", resumed.isEmpty() ? -1 : resumed.get(resumed.size() - 1))
                        .put("ready_while_deaf", readyWhileDeaf)
                        .put("events_sent", sent).put("events_stored", stored)
                        .put("publish_failures", fleet.counters().failures())
                        .put("duration_s", SteadyState.round((System.nanoTime() - t0) / 1e9));
                long lost = ReconnectStorm.placeLost(report, pg, fleet.counters().ackedAt(), 0, 0, 0);
                report.put("events_lost", lost);
                report.check("events_lost == 0", lost == 0)
                        .check("ingest resumed after every crash", resumed.size() == kills)
                        .check("ready_while_deaf == 0", readyWhileDeaf == 0);
            }
        }
        return report;
    }
}
