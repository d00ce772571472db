package io.geminik8s.hub.backup;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.IngestProbe;
import io.geminik8s.hub.MqttPublisher;
import io.geminik8s.protocol.Birth;
import io.geminik8s.protocol.Command;
import io.geminik8s.protocol.CommandResult;
import io.geminik8s.protocol.Role;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The restores API (docs/backup.md) with the broker and nodes played by the test: backup-restore to the primary,
 * its answer moves the restore on and sends standby-rebuild to the standby, whose answer ends it; answers from
 * the wrong node or repeated change nothing; a failed restore frees the site. Hostile and impossible requests:
 * no token, a viewer, odd times, an unknown site, no primary, a restore already running.
 */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class RestoreApiTest {

    private static String site(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static void birth(MqttPublisher mqtt, String site, String node, Role role) {
        long now = System.currentTimeMillis();
        mqtt.publish(new Birth("1.0", site, node, now * 1000, now, "t", null, role, Map.of(), List.of(), Map.of(), 0L));
    }

    private static CommandResult answer(Command c, String node, CommandResult.Outcome outcome, String message) {
        return new CommandResult("1.0", c.id(), c.site(), node, System.currentTimeMillis(), outcome, message);
    }

    private static String state(String site) {
        return given().get("/api/v1/sites/" + site + "/restores").then().statusCode(200).extract().path("[0].state");
    }

    @Test
    void theRestoreGoesToThePrimaryThenTheStandbyIsRebuilt() {
        IngestProbe.awaitIngestReady();
        String site = site("rs");
        String path = "/api/v1/sites/" + site + "/restores";
        try (MqttPublisher mqtt = new MqttPublisher()) {
            var commands = mqtt.subscribe("gk8s/v1/down/" + site + "/+/cmd");
            birth(mqtt, site, "a", Role.PRIMARY);
            birth(mqtt, site, "b", Role.STANDBY);
            // both Births stored (the hub may write them in two batches): the restore names both nodes
            await().atMost(Duration.ofSeconds(10)).until(() -> given().get("/api/v1/sites/" + site).statusCode()
                    == 200 && Integer.valueOf(2).equals(given().get("/api/v1/sites/" + site).then().extract()
                    .path("nodes.size()")));
            String to = "2026-11-30T02:03:28.5+01:00";
            given().contentType("application/json").body("{\"to\":\"" + to + "\"}").post(path).then().statusCode(202)
                    .body("primary", equalTo("a")).body("standby", equalTo("b")).body("state", equalTo("restoring"))
                    .body("to", equalTo("2026-11-30T01:03:28.5Z")).body("id", startsWith("restore-"));
            given().contentType("application/json").body("{}").post(path).then().statusCode(409)
                    .body("detail", containsString("is running"));
            await().atMost(Duration.ofSeconds(10)).until(() -> !commands.isEmpty());
            Command restore = (Command) commands.poll();
            assertEquals("backup-restore", restore.name());
            assertEquals("a", restore.node());
            assertEquals(Map.of("to", "2026-11-30T01:03:28.500Z"), restore.args());
            assertTrue(restore.expiresAt() - restore.issuedAt() <= 300_000, "a restore must not arrive late");

            mqtt.publish(answer(restore, "b", CommandResult.Outcome.OK, "not mine to answer")); // wrong node
            mqtt.publish(answer(restore, "a", CommandResult.Outcome.OK, "restored to 2026-11-30T01:03:28.500Z"));
            await().atMost(Duration.ofSeconds(10)).until(() -> !commands.isEmpty());
            Command rebuild = (Command) commands.poll();
            assertEquals("standby-rebuild", rebuild.name());
            assertEquals("b", rebuild.node());
            assertEquals(restore.id() + "-standby", rebuild.id());
            assertEquals("rebuilding", state(site));
            mqtt.publish(answer(rebuild, "a", CommandResult.Outcome.FAILED, "not mine either")); // wrong node
            mqtt.publish(answer(rebuild, "b", CommandResult.Outcome.OK, "re-cloned from a"));
            await().atMost(Duration.ofSeconds(10)).until(() -> state(site).equals("done"));
            given().get(path).then().body("[0].message", equalTo("b: ok: re-cloned from a"))
                    .body("[0].requestedBy", equalTo("tester"));

            // a failed restore ends there (no rebuild) and frees the site for the next
            given().contentType("application/json").body("{}").post(path).then().statusCode(202)
                    .body("to", equalTo(null));
            await().atMost(Duration.ofSeconds(10)).until(() -> !commands.isEmpty());
            Command latest = (Command) commands.poll();
            assertEquals(Map.of(), latest.args(), "no target: the last archived WAL");
            mqtt.publish(answer(latest, "a", CommandResult.Outcome.FAILED, "no backup: no spec.backup"));
            await().atMost(Duration.ofSeconds(10)).until(() -> state(site).equals("failed"));
            assertTrue(commands.isEmpty(), "no rebuild after a failed restore: " + commands);
            given().contentType("application/json").body("{}").post(path).then().statusCode(202);
        }
    }

    @Test
    void hostileAndImpossibleRequestsAreRefused() {
        IngestProbe.awaitIngestReady();
        String site = site("rs-h");
        try (MqttPublisher mqtt = new MqttPublisher()) {
            birth(mqtt, site, "a", Role.STANDBY); // no primary online
            await().atMost(Duration.ofSeconds(10)).until(() -> given().get("/api/v1/sites/" + site).statusCode()
                    == 200);
        }
        String path = "/api/v1/sites/" + site + "/restores";
        given().header("Authorization", "Bearer nope").get(path).then().statusCode(401);
        given().header("Authorization", "Bearer nope").contentType("application/json").body("{}").post(path).then()
                .statusCode(401);
        given().header("Authorization", "Bearer " + HubInfrastructure.VIEWER_TOKEN).contentType("application/json")
                .body("{}").post(path).then().statusCode(403);
        given().header("Authorization", "Bearer " + HubInfrastructure.VIEWER_TOKEN).get(path).then().statusCode(200);
        given().get("/api/v1/sites/no-such-site/restores").then().statusCode(404);
        given().contentType("application/json").body("{}").post("/api/v1/sites/no-such-site/restores").then()
                .statusCode(404).body("detail", containsString("no site 'no-such-site'"));
        for (String bad : new String[] {"yesterday", "2026-11-30 01:03:28", "2026-11-30T01:03:28", "1764464608",
                "2026-02-30T01:03:28Z", "2026-11-30T01:03:28Z'; DROP TABLE site_restore; --",
                Instant.now().plusSeconds(3600).toString(), "1999-12-31T23:59:59Z", "x".repeat(10_000)}) {
            given().contentType("application/json").body(Map.of("to", bad)).post(path).then().statusCode(400)
                    .body("detail", startsWith("to: "));
        }
        given().contentType("application/json").body("{\"to\":").post(path).then().statusCode(400);
        given().contentType("application/json").body("{\"target\":\"2026-11-30T01:03:28Z\"}").post(path).then()
                .statusCode(400).body("detail", equalTo("unknown field 'target': the body has only 'to'"));
        given().contentType("application/json").body("{\"to\":1764464608}").post(path).then().statusCode(400);
        given().contentType("application/json").body("[\"2026-11-30T01:03:28Z\"]").post(path).then().statusCode(400);
        given().contentType("application/json").body("{\"to\":[1]}").post(path).then().statusCode(400);
        given().contentType("application/json").body("{\"to\":{\"a\":1}}").post(path).then().statusCode(400);
        given().contentType("application/json").body("{}").post(path).then().statusCode(409)
                .body("detail", containsString("has no online primary"));
        given().get(path).then().statusCode(200).body("size()", equalTo(0));
        String tests = "/api/v1/sites/" + site + "/restore-tests";
        given().header("Authorization", "Bearer nope").post(tests).then().statusCode(401);
        given().header("Authorization", "Bearer " + HubInfrastructure.VIEWER_TOKEN).post(tests).then().statusCode(403);
        given().post("/api/v1/sites/no-such-site/restore-tests").then().statusCode(404);
        given().post(tests).then().statusCode(202).body("node", equalTo("a")); // the standby tests the restore
    }
}
