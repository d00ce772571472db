package io.geminik8s.loadtest.scenario;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.loadtest.measure.HubProcess;
import io.geminik8s.loadtest.measure.PgStats;
import io.geminik8s.loadtest.sim.Fleet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A real hub process (packaged, embedded PostgreSQL and broker) stopped and started again in the middle of a wave,
 * with virtual agents on MQTT that apply desired state: the rollout resumes where it was and finishes, every site
 * gets exactly one new generation, and no agent applies anything twice.
 */
class RolloutRestartTest {

    private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*(\\d+)");

    @Test
    void aHubRestartedMidWaveResumesWithNoStepLostOrDoubled() throws Exception {
        int sites = 12;
        Path work = Files.createTempDirectory("gk8s-rollout-restart");
        Path data = Files.createDirectories(work.resolve("hub-data"));
        try (HubProcess hub = new HubProcess(Path.of("../hub/target/quarkus-app/quarkus-run.jar"), data,
                List.of("-Xmx512m", "-Dgk8s.rollout.interval=300ms", "-Dgk8s.desired.interval=300ms"))) {
            hub.start(Duration.ofMinutes(3));
            assertEquals(201, hub.post("/api/v1/templates", "application/yaml", RolloutAtScale.template("200"))
                    .statusCode());
            try (Fleet agents = new Fleet(sites, "127.0.0.1", hub.mqttPort(), 2);
                 Connection db = PgStats.of(data.resolve("postgres")).connect()) {
                agents.connectAll(1000).get(60, TimeUnit.SECONDS);
                agents.startHealth(1000);
                RolloutAtScale.SyntheticSites.awaitSettled(db, sites, Duration.ofMinutes(2));
                assertEquals(201, hub.post("/api/v1/templates", "application/yaml", RolloutAtScale.template("250"))
                        .statusCode());
                var created = hub.post("/api/v1/rollouts", "application/json", "{\"template\":\"sim\","
                        + "\"toRevision\":2,\"strategy\":{\"canary\":\"1\",\"waves\":[\"100%\"],\"soak\":\"PT3S\","
                        + "\"maxInFlight\":3}}");
                assertEquals(201, created.statusCode(), created.body());
                Matcher m = ID.matcher(created.body());
                assertTrue(m.find());
                String rollout = "/api/v1/rollouts/" + m.group(1);

                // mid-wave: the canary done, some of wave 1 changing, some not started
                await().atMost(Duration.ofMinutes(2)).alias("mid-wave").until(() -> body(hub, rollout),
                        body -> count(body, "succeeded") >= 2 && count(body, "pending") > 0);
                hub.stop();
                hub.start(Duration.ofMinutes(3));
                await().atMost(Duration.ofMinutes(3)).until(() -> body(hub, rollout),
                        body -> body.contains("\"phase\":\"succeeded\""));

                String done = body(hub, rollout);
                assertEquals(sites, count(done, "succeeded"), done);
                // the hub's PostgreSQL restarted with it: ask the new one
                try (Connection again = PgStats.of(data.resolve("postgres")).connect();
                     var rs = again.createStatement().executeQuery("SELECT count(*) FILTER (WHERE generation = 2"
                             + " AND revision = 2), count(*) FROM site_binding WHERE template = 'sim'")) {
                    rs.next();
                    assertEquals(sites, rs.getLong(1), "every site: exactly one new generation, the new revision");
                    assertEquals(sites, rs.getLong(2));
                }
                await().atMost(Duration.ofMinutes(1)).until(() -> agents.counters().desiredApplied(),
                        applied -> applied >= 2L * 2 * sites);
                assertEquals(2L * 2 * sites, agents.counters().desiredApplied(),
                        "each agent applied generation 1 and 2, nothing twice");
            }
        } finally {
            Knee.deleteTree(work);
        }
    }

    private static String body(HubProcess hub, String path) {
        try {
            return hub.get(path).body().replace(" ", "");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The rollout's total count for a state from {@code "counts":{…}}. */
    private static int count(String body, String state) {
        Matcher m = Pattern.compile("\"counts\":\\{[^}]*\"" + state + "\":(\\d+)").matcher(body);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }
}
