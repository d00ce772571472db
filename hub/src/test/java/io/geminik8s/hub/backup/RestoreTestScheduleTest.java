package io.geminik8s.hub.backup;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.IngestProbe;
import io.geminik8s.hub.MqttPublisher;
import io.geminik8s.protocol.Birth;
import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.Command;
import io.geminik8s.protocol.Event;
import io.geminik8s.protocol.Role;
import io.geminik8s.protocol.Severity;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Scheduled restore tests at the hub (docs/backup.md), with the test hub's PostgreSQL and MQTT broker: a site bound
 * to a template whose {@code spec.backup.restoreTest} is due gets {@code backup-verify} at its online standby, once
 * (also when another replica ticks next);
 * a site with only a primary online gets none; the site's backups view shows the schedule; a site whose last passed
 * test is older than {@code gk8s.backup.restore-test-max-age} is counted by {@code gk8s_backups_restore_test_old}.
 */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class RestoreTestScheduleTest {

    @Inject
    RestoreTestScheduler scheduler;

    @Inject
    BackupGauges gauges;

    @Inject
    Pool pool;

    @Inject
    io.geminik8s.hub.HubConfig hubConfig;

    @Inject
    BackupConfig backupConfig;

    @Inject
    io.geminik8s.hub.ingest.IngestClient down;

    @Inject
    Codec codec;

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL hub;

    private static void birth(MqttPublisher mqtt, String site, String node, Role role) {
        long now = System.currentTimeMillis();
        mqtt.publish(new Birth("1.0", site, node, now * 1000, now, "t", null, role, Map.of(), List.of(), Map.of(), 0L));
    }

    private static Event event(String site, String node, long seq, long ts, String type) {
        return new Event("1.0", site, node, seq, ts, type, Severity.INFO, type, Map.of("label", "20261130-010000F"));
    }

    /** A template revision whose spec.backup names {@code restoreTest}, bound to the site (as the binder does). */
    private void bind(String site, String restoreTest) {
        String name = "rt-" + site;
        String spec = "{\"spec\": {\"backup\": {\"schedule\": {\"full\": {\"cron\": \"0 2 * * 0\"}, \"incr\": \"1h\"},"
                + " \"retention\": {\"full\": 2}, \"repository\": {\"path\": \"/srv/b\"}, \"restoreTest\": "
                + restoreTest + "}}}";
        pool.preparedQuery("INSERT INTO template_revision (name, revision, source, sha256, yaml, spec, created_by)"
                + " VALUES ($1, 1, 'api', 'x', 'x', $2::text::jsonb, 'test')").execute(Tuple.of(name, spec))
                .chain(() -> pool.preparedQuery("INSERT INTO site_binding (site_id, template, revision, generation,"
                        + " published_generation) VALUES ($1, $2, 1, 1, 1)").execute(Tuple.of(site, name)))
                .await().atMost(Duration.ofSeconds(10));
    }

    private long metric(String name) {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines().filter(l -> l.startsWith(name + " ")).mapToLong(l -> (long) Double
                .parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst().orElse(-1);
    }

    @Test
    void aDueTestGoesToTheStandbyOnceAndNeverToALonePrimary() {
        IngestProbe.awaitIngestReady();
        String site = "rts-" + UUID.randomUUID().toString().substring(0, 8);
        String alone = "rts-alone-" + UUID.randomUUID().toString().substring(0, 8);
        long now = System.currentTimeMillis();
        try (MqttPublisher mqtt = new MqttPublisher()) {
            var commands = mqtt.subscribe("gk8s/v1/down/" + site + "/+/cmd");
            var aloneCommands = mqtt.subscribe("gk8s/v1/down/" + alone + "/+/cmd");
            birth(mqtt, site, "a", Role.PRIMARY);
            birth(mqtt, site, "b", Role.STANDBY);
            birth(mqtt, alone, "a", Role.PRIMARY);
            // a good backup 10 days ago, a test passed 9 days ago: a daily schedule is due, and the pass is old
            mqtt.publish(event(site, "a", 1, now - Duration.ofDays(10).toMillis(), "backup.completed"));
            mqtt.publish(event(site, "b", 2, now - Duration.ofDays(9).toMillis(), "backup.restore-tested"));
            mqtt.publish(event(alone, "a", 1, now - Duration.ofDays(10).toMillis(), "backup.completed"));
            await().atMost(Duration.ofSeconds(15)).ignoreExceptions().untilAsserted(() -> {
                given().get("/api/v1/sites/" + site + "/backups").then().statusCode(200)
                        .body("lastRestoreTest.type", equalTo("backup.restore-tested"));
                given().get("/api/v1/sites/" + alone + "/backups").then().statusCode(200)
                        .body("lastGood.node", equalTo("a"));
            });
            bind(site, "{\"cron\": \"0 4 * * *\"}");
            bind(alone, "\"1d\"");
            given().get("/api/v1/sites/" + site + "/backups").then().statusCode(200)
                    .body("restoreTest.schedule", equalTo("cron '0 4 * * *' UTC"))
                    .body("restoreTest.lastPassed.node", equalTo("b")).body("restoreTest.old", equalTo(true));

            scheduler.tick().await().atMost(Duration.ofSeconds(10));
            await().atMost(Duration.ofSeconds(10)).until(() -> !commands.isEmpty());
            Command c = (Command) commands.poll();
            assertEquals("backup-verify", c.name());
            assertEquals("b", c.node(), "the standby, not the primary");
            scheduler.tick().await().atMost(Duration.ofSeconds(10));
            // another replica (the replicas take turns at the lock) knows it was sent: from the database
            new RestoreTestScheduler(pool, hubConfig, backupConfig, down, codec).tick().await()
                    .atMost(Duration.ofSeconds(10));
            mqtt.publish(event(site, "b", 3, System.currentTimeMillis(), "backup.restore-tested"));
            await().atMost(Duration.ofSeconds(15)).ignoreExceptions().untilAsserted(() -> given()
                    .get("/api/v1/sites/" + site + "/backups").then().body("restoreTest.old", equalTo(false))
                    .body("restoreTest.oldSince", nullValue()));
            scheduler.tick().await().atMost(Duration.ofSeconds(10));
            // a command the broker delivers is in the queue by the time a later one would be: a marker after the ticks
            long t = System.currentTimeMillis();
            mqtt.raw("gk8s/v1/down/" + site + "/b/cmd", new Codec().encode(new Command("1.0", "marker", site, "b",
                    "noop", Map.of(), t, t + 60_000)), false);
            await().atMost(Duration.ofSeconds(10)).until(() -> !commands.isEmpty());
            assertEquals("marker", ((Command) commands.poll()).id(), "no second test: unanswered, then answered");
            assertTrue(aloneCommands.isEmpty(), "a lone primary is not tested on schedule: " + aloneCommands);
        }
        gauges.refresh().await().atMost(Duration.ofSeconds(10));
        assertTrue(metric("gk8s_backups_restore_test_old") >= 1, "the site without a recent pass is counted");
        given().get("/api/v1/sites/" + alone + "/backups").then().body("restoreTest.old", equalTo(true))
                .body("restoreTest.lastPassed", nullValue()).body("restoreTest.schedule", equalTo("1d"));
        var out = new java.io.StringWriter();
        int code = io.geminik8s.cli.Gk8s.run(Map.of("GK8S_HUB", hub.toString(), "GK8S_TOKEN",
                HubInfrastructure.VIEWER_TOKEN, "GK8S_CONFIG", "target/no-gk8s-config.yaml"),
                new java.io.PrintWriter(out), new java.io.PrintWriter(new java.io.StringWriter()),
                "backup", "list", "--site", alone);
        String[] table = out.toString().lines().toArray(String[]::new);
        assertTrue(code == 0 && table[0].contains("TEST SCHEDULE") && table[0].trim().endsWith("TEST OLD")
                && table[1].matches(".*\\b1d\\s+true\\s*"), out.toString());
    }
}
