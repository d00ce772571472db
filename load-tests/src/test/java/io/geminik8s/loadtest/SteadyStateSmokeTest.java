package io.geminik8s.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.geminik8s.loadtest.scenario.Report;
import io.geminik8s.loadtest.scenario.SteadyState;
import io.geminik8s.loadtest.sim.Troubles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Keeps the harness alive: the steady-state scenario, small (500 agents, 30 s), against the packaged hub built
 * just before this module, with the field's troubles mixed in (failing sites, slow nodes, dropped links). Checks
 * that it works and reports — every agent online, probes answered, no event lost, the hub showing every failing
 * site degraded and every dropped node back, the report's comparable keys present — never how fast: numbers come
 * from the real runs in load-tests/reports.
 */
class SteadyStateSmokeTest {

    @Test
    void fiveHundredAgentsWithTroublesGoOnlineReportHealthAndLoseNoEvent() throws Exception {
        Path work = Files.createTempDirectory("gk8s-load-smoke");
        // 10 of 250 sites failing, 10 agents 3 s late, a link dropping every 2 s for 5 s
        Troubles troubles = new Troubles(0.04, 0.02, Duration.ofSeconds(3), 30, Duration.ofSeconds(5));
        Report r = SteadyState.run(new SteadyState.Settings(500, Duration.ofSeconds(5), Duration.ofSeconds(10),
                // the simulated links drop for 5 s, less than the hub's default grace for a Last Will (15 s)
                Duration.ofSeconds(30), 20, 2, List.of("-Xmx512m", "-Dgk8s.hub.will-grace=0s"),
                Path.of("../hub/target/quarkus-app/quarkus-run.jar"), work, troubles));
        io.geminik8s.loadtest.scenario.Knee.deleteTree(work);
        Path json = r.write(Path.of("target/reports"), "steady-state-smoke", "SteadyStateSmokeTest");
        JsonNode j = new ObjectMapper().readTree(json.toFile());
        for (String key : List.of("scenario", "agents", "sites", "duration_s", "ingest_p50_ms", "ingest_p99_ms",
                "hub_rss_mb", "events_sent", "events_lost")) {
            assertTrue(j.hasNonNull(key), "report has " + key + ": " + j);
        }
        assertEquals(500, j.get("nodes_online").asLong(), "every agent online in the hub");
        assertTrue(j.get("ingest_samples").asLong() > 0, "the visibility probe saw health samples arrive");
        assertEquals(0, j.get("probe_timeouts").asLong());
        assertTrue(j.get("events_sent").asLong() > 0, "events were sent");
        assertEquals(0, j.get("events_lost").asLong(), "every event the broker acknowledged reached the hub");
        // a dropped link can cut off a publish's acknowledgement (the client counts a failure, the broker may still
        // have stored it: it then counts as stored, never as lost); no publish fails on a link that stayed up
        assertTrue(j.get("publish_failures").asLong() <= j.get("offline_periods").asLong(),
                "publishes failed: " + j.get("publish_failures") + ", links dropped: " + j.get("offline_periods"));
        assertTrue(j.get("pg_rows_written_per_s").asDouble() > 0, "the hub wrote to PostgreSQL");
        assertEquals(10, j.get("failing_sites").asLong());
        assertEquals(10, j.get("failing_sites_degraded").asLong(), "the hub shows every failing site degraded");
        assertEquals(10, j.get("slow_agents").asLong());
        assertEquals("10 of 10", j.get("slow_agents_checked_visible").asText(), "slow nodes' health arrives");
        assertTrue(j.get("offline_periods").asLong() >= 5, "links dropped: " + j.get("offline_periods"));
        assertTrue(j.get("hub_nodes_online_min").asLong() < 500, "the hub saw dropped nodes offline");
        assertEquals(j.get("offline_periods").asLong(), j.get("offline_periods_back_online").asLong(),
                "every dropped node reconnected");
        assertEquals(500, j.get("nodes_online_at_end").asLong(), "and the hub shows every node online again");
        long limit = j.get("hub_open_files_limit").asLong();
        long expected = limit <= 0 ? -1 : limit > 4_000 ? limit - 2_000 : limit / 2;
        assertEquals(expected, j.get("broker_connections_max").asLong(), "the broker admits what the file limit allows");
        assertEquals(0, j.get("broker_refused").asLong());
    }
}
