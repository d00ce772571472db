package io.geminik8s.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.loadtest.scenario.CrashStorm;
import io.geminik8s.loadtest.scenario.Report;
import io.geminik8s.loadtest.scenario.SteadyState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The packaged hub {@code kill -9}'d five times under a stream of QoS 1 events (200 agents, 40 events/s): each
 * time ingest resumes, readiness is never UP while the hub is deaf, and every event the broker acknowledged is in
 * PostgreSQL at the end. The scenario at fleet scale is in load-tests/reports (crash-storm-*.md).
 */
class CrashStormSmokeTest {

    @Test
    void fiveCrashesUnderLoadLoseNoAcknowledgedEvent() throws Exception {
        Path work = Files.createTempDirectory("gk8s-crash-smoke");
        Report r = CrashStorm.run(new SteadyState.Settings(200, Duration.ofSeconds(5), Duration.ofSeconds(5),
                Duration.ofSeconds(5), 40, 1, List.of("-Xmx512m"),
                Path.of("../hub/target/quarkus-app/quarkus-run.jar"), work), 5, Duration.ofSeconds(4));
        io.geminik8s.loadtest.scenario.Knee.deleteTree(work);
        r.write(Path.of("target/reports"), "crash-storm-smoke", "CrashStormSmokeTest");
        assertTrue(((Number) r.get("events_sent")).longValue() > 400, "events were sent: " + r.get("events_sent"));
        assertEquals(0L, ((Number) r.get("events_lost")).longValue(), "lost: " + r.get("lost_ack_ms_after_ready"));
        assertEquals(0, ((Number) r.get("ready_while_deaf")).intValue());
        assertEquals(List.of(), r.failedChecks());
    }
}
