package io.geminik8s.hub.backup;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.IngestProbe;
import io.geminik8s.hub.MqttPublisher;
import io.geminik8s.protocol.Birth;
import io.geminik8s.protocol.Command;
import io.geminik8s.protocol.Event;
import io.geminik8s.protocol.Role;
import io.geminik8s.protocol.Severity;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The backups API (docs/backup.md): a site's last good backup and failure from its nodes' events, stale or not,
 * the stale gauge; a backup now sent to the online primary as backup-run; no token, a viewer, an unknown site, a
 * malformed body, a site without a primary.
 */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class BackupApiTest {

    @Inject
    BackupGauges gauges;

    @Inject
    io.vertx.mutiny.sqlclient.Pool pool;

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL hub;

    /** {@code gk8s ...} against this hub with {@code token}: exit code and what it printed. */
    private String[] gk8s(String token, String... args) {
        var out = new java.io.StringWriter();
        var err = new java.io.StringWriter();
        int code = io.geminik8s.cli.Gk8s.run(Map.of("GK8S_HUB", hub.toString(), "GK8S_TOKEN", token,
                "GK8S_CONFIG", "target/no-gk8s-config.yaml"), new java.io.PrintWriter(out),
                new java.io.PrintWriter(err), args);
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    private static String site(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static void birth(MqttPublisher mqtt, String site, String node, Role role) {
        long now = System.currentTimeMillis();
        mqtt.publish(new Birth("1.0", site, node, now * 1000, now, "t", null, role, Map.of(), List.of(), Map.of(), 0L));
    }

    private static Event event(String site, long seq, long ts, String type, String message, Map<String, String> a) {
        return new Event("1.0", site, "a", seq, ts, type, Severity.INFO, message, a);
    }

    @Test
    void lastGoodBackupFailureAndARunNowSentToThePrimary() {
        IngestProbe.awaitIngestReady();
        String site = site("bk");
        long now = System.currentTimeMillis();
        try (MqttPublisher mqtt = new MqttPublisher()) {
            var commands = mqtt.subscribe("gk8s/v1/down/" + site + "/+/cmd");
            birth(mqtt, site, "a", Role.PRIMARY);
            birth(mqtt, site, "b", Role.STANDBY);
            mqtt.publish(event(site, 1, now - 60_000, "backup.configured", "pgbackrest.conf written",
                    Map.of("repository", "/srv/b")));
            mqtt.publish(event(site, 2, now - 50_000, "backup.completed", "full backup 20261130-010000F in 900 ms",
                    Map.of("type", "full", "label", "20261130-010000F", "backupBytes", "3081904",
                            "archiveMax", "000000010000000000000004")));
            mqtt.publish(event(site, 3, now - 40_000, "backup.failed", "pgbackrest: exit 82", Map.of("type", "incr")));
            // the standby's backup into the peer repository on its disk: shown apart, never the site's lastGood
            mqtt.publish(new Event("1.0", site, "b", 1L, now - 30_000, "backup.peer-completed", Severity.INFO, "full backup"
                    + " 20261130-020000F into the peer repository in 700 ms", Map.of("type", "full", "label",
                    "20261130-020000F", "repository", "/var/lib/gk8s/peer-backup")));
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> given().get("/api/v1/sites/" + site
                    + "/backups").then().statusCode(200).body("peer.lastGood.node", equalTo("b"))
                    .body("peer.lastGood.attrs.label", equalTo("20261130-020000F"))
                    .body("peer.lastFailure", equalTo(null)));
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> given().get("/api/v1/sites/" + site
                    + "/backups").then().statusCode(200).body("configured", equalTo(true))
                    .body("stale", equalTo(false)).body("lastGood.attrs.label", equalTo("20261130-010000F"))
                    .body("lastGood.attrs.backupBytes", equalTo("3081904")).body("lastGood.node", equalTo("a"))
                    .body("lastFailure.message", equalTo("pgbackrest: exit 82")).body("recent.size()", equalTo(2)));

            given().contentType("application/json").body("{\"type\":\"full\"}").post("/api/v1/sites/" + site
                    + "/backups").then().statusCode(202).body("node", equalTo("a")).body("type", equalTo("full"));
            await().atMost(Duration.ofSeconds(10)).until(() -> !commands.isEmpty());
            Command c = (Command) commands.poll();
            assertEquals("backup-run", c.name());
            assertEquals("a", c.node(), "the primary, not the standby");
            assertEquals(Map.of("type", "full"), c.args());
            assertTrue(c.expiresAt() > System.currentTimeMillis() + 3_000_000, "an hour to be taken");

            // the CLI: gk8s backup list|run --site S, -o table|json|yaml
            String[] table = gk8s(HubInfrastructure.VIEWER_TOKEN, "backup", "list", "--site", site);
            assertEquals("0", table[0], table[2]);
            assertTrue(table[1].startsWith("SITE") && table[1].contains("20261130-010000F")
                    && table[1].contains("3081904") && table[1].contains("backup.failed"), table[1]);
            String[] json = gk8s(HubInfrastructure.VIEWER_TOKEN, "backup", "list", "--site", site, "-o", "json");
            assertTrue(json[1].contains("\"label\" : \"20261130-010000F\""), json[1]);
            String[] yaml = gk8s(HubInfrastructure.VIEWER_TOKEN, "backup", "list", "--site", site, "-o", "yaml");
            assertTrue(yaml[1].contains("stale: false"), yaml[1]);
            String[] viewerRun = gk8s(HubInfrastructure.VIEWER_TOKEN, "backup", "run", "--site", site);
            assertEquals("1", viewerRun[0], "a viewer cannot take a backup: " + viewerRun[1]);
            String[] run = gk8s(HubInfrastructure.OPERATOR_TOKEN, "backup", "run", "--site", site, "--type", "diff");
            assertEquals("0", run[0], run[2]);
            assertTrue(run[1].contains(site) && run[1].contains("diff") && run[1].contains("backup-"), run[1]);
            await().atMost(Duration.ofSeconds(10)).until(() -> !commands.isEmpty());
            assertEquals(Map.of("type", "diff"), ((Command) commands.poll()).args());
        }
    }

    @Test
    void aSiteWithoutARecentGoodBackupIsStaleAndCounted() {
        IngestProbe.awaitIngestReady();
        String site = site("bk-stale");
        long twoDaysAgo = System.currentTimeMillis() - Duration.ofDays(2).toMillis();
        try (MqttPublisher mqtt = new MqttPublisher()) {
            mqtt.publish(event(site, 1, twoDaysAgo, "backup.configured", "pgbackrest.conf written", Map.of()));
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> given().get("/api/v1/sites/" + site
                    + "/backups").then().statusCode(200).body("stale", equalTo(true))
                    .body("lastGood", equalTo(null)).body("peer", equalTo(null)));
        }
        gauges.refresh().await().atMost(Duration.ofSeconds(10));
        long stale = staleGauge();
        assertTrue(stale >= 1, "the stale site is counted: " + stale);
    }

    /** A site whose bound template no longer has spec.backup: its old events make it neither configured nor stale. */
    @Test
    void aSiteWhoseTemplateDroppedBackupsIsNeitherConfiguredNorStale() {
        IngestProbe.awaitIngestReady();
        String site = site("bk-dropped");
        long twoDaysAgo = System.currentTimeMillis() - Duration.ofDays(2).toMillis();
        try (MqttPublisher mqtt = new MqttPublisher()) {
            mqtt.publish(event(site, 1, twoDaysAgo, "backup.configured", "pgbackrest.conf written", Map.of()));
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> given().get("/api/v1/sites/" + site
                    + "/backups").then().statusCode(200).body("stale", equalTo(true)));
        }
        gauges.refresh().await().atMost(Duration.ofSeconds(10));
        long before = staleGauge();
        String name = "nobk-" + site;
        pool.preparedQuery("INSERT INTO template_revision (name, revision, source, sha256, yaml, spec, created_by)"
                + " VALUES ($1, 1, 'api', 'x', 'x', '{\"spec\": {\"vip\": {}}}'::jsonb, 'test')")
                .execute(io.vertx.mutiny.sqlclient.Tuple.of(name))
                .chain(() -> pool.preparedQuery("INSERT INTO site_binding (site_id, template, revision, generation,"
                        + " published_generation) VALUES ($1, $2, 1, 1, 1)")
                        .execute(io.vertx.mutiny.sqlclient.Tuple.of(site, name)))
                .await().atMost(Duration.ofSeconds(10));
        given().get("/api/v1/sites/" + site + "/backups").then().statusCode(200).body("configured", equalTo(false))
                .body("stale", equalTo(false)).body("staleSince", equalTo(null));
        gauges.refresh().await().atMost(Duration.ofSeconds(10));
        assertEquals(before - 1, staleGauge(), "the site left the stale count");

        // the site's overrides name a backup section (the agents merge them over the template): backups again
        pool.preparedQuery("UPDATE site_binding SET overrides = '{\"backup\": {\"schedule\": {\"full\": \"7d\"}}}'"
                + " WHERE site_id = $1").execute(io.vertx.mutiny.sqlclient.Tuple.of(site))
                .await().atMost(Duration.ofSeconds(10));
        given().get("/api/v1/sites/" + site + "/backups").then().statusCode(200).body("configured", equalTo(true))
                .body("stale", equalTo(true));
        gauges.refresh().await().atMost(Duration.ofSeconds(10));
        assertEquals(before, staleGauge(), "counted again");
        // overrides that set it to null drop it again
        pool.preparedQuery("UPDATE site_binding SET overrides = '{\"backup\": null}' WHERE site_id = $1")
                .execute(io.vertx.mutiny.sqlclient.Tuple.of(site)).await().atMost(Duration.ofSeconds(10));
        given().get("/api/v1/sites/" + site + "/backups").then().statusCode(200).body("configured", equalTo(false));
    }

    private static long staleGauge() {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines().filter(l -> l.startsWith("gk8s_backups_stale ")).mapToLong(l -> (long) Double
                .parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst().orElse(-1);
    }

    @Test
    void hostileAndImpossibleRequestsAreRefused() {
        IngestProbe.awaitIngestReady();
        String site = site("bk-h");
        try (MqttPublisher mqtt = new MqttPublisher()) {
            birth(mqtt, site, "a", Role.STANDBY); // no primary online
            await().atMost(Duration.ofSeconds(10)).until(() -> given().get("/api/v1/sites/" + site).statusCode()
                    == 200);
        }
        String path = "/api/v1/sites/" + site + "/backups";
        given().header("Authorization", "Bearer nope").get(path).then().statusCode(401);
        given().header("Authorization", "Bearer nope").contentType("application/json").body("{}").post(path).then()
                .statusCode(401);
        given().header("Authorization", "Bearer " + HubInfrastructure.VIEWER_TOKEN).contentType("application/json")
                .body("{}").post(path).then().statusCode(403);
        given().get("/api/v1/sites/no-such-site/backups").then().statusCode(404)
                .body("detail", containsString("no site 'no-such-site'"));
        given().contentType("application/json").body("{}").post("/api/v1/sites/no-such-site/backups").then()
                .statusCode(404);
        given().contentType("application/json").body("{\"type\":").post(path).then().statusCode(400);
        given().contentType("application/json").body("{\"type\":\"weekly\"}").post(path).then().statusCode(400)
                .body("detail", equalTo("type must be full, diff or incr"));
        given().contentType("application/json").body("{\"type\":[1]}").post(path).then().statusCode(400);
        given().contentType("application/json").body("{}").post(path).then().statusCode(409)
                .body("detail", containsString("has no online primary"));
        given().get(path).then().statusCode(200).body("configured", equalTo(false)).body("stale", equalTo(false));
    }

    /**
     * Right after a failover both nodes report primary until the old one's Last Will: the backup goes to the one
     * holding the witness's epoch, and with neither holding it to none.
     */
    @Test
    void ofTwoPrimariesTheEpochHolderTakesTheBackup() {
        IngestProbe.awaitIngestReady();
        String site = site("bk-two");
        try (MqttPublisher mqtt = new MqttPublisher()) {
            var commands = mqtt.subscribe("gk8s/v1/down/" + site + "/+/cmd");
            birth(mqtt, site, "a", Role.PRIMARY);
            birth(mqtt, site, "b", Role.PRIMARY);
            await().atMost(Duration.ofSeconds(15)).until(() -> given().get("/api/v1/sites/" + site).then()
                    .extract().path("nodes.findAll { it.online && it.role == 'primary' }.size()").equals(2));
            String path = "/api/v1/sites/" + site + "/backups";
            given().contentType("application/json").body("{}").post(path).then().statusCode(409)
                    .body("detail", containsString("neither holds the witness's epoch"));
            pool.preparedQuery("INSERT INTO site_lease (site_id, epoch, holder) VALUES ($1, 2, 'b')")
                    .execute(io.vertx.mutiny.sqlclient.Tuple.of(site)).await().atMost(Duration.ofSeconds(10));
            given().contentType("application/json").body("{}").post(path).then().statusCode(202)
                    .body("node", equalTo("b"));
            await().atMost(Duration.ofSeconds(10)).until(() -> !commands.isEmpty());
            assertEquals("b", ((Command) commands.poll()).node(), "the epoch holder, not the old primary");
        }
    }
}
