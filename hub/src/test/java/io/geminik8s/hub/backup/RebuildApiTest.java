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
import io.geminik8s.protocol.Event;
import io.geminik8s.protocol.Message;
import io.geminik8s.protocol.Role;
import io.geminik8s.protocol.Severity;
import io.geminik8s.protocol.Status;
import io.geminik8s.protocol.WitnessReply;
import io.geminik8s.protocol.WitnessRequest;
import io.geminik8s.protocol.WitnessRequest.Op;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/**
 * The rebuilds API and the witness's {@code rebuild} (docs/backup.md) with the broker and the nodes played by the
 * test: refused while a node is online; authorized; taken once by a node of the site (the next epoch, the target in
 * the reply, the peer not eligible), refused to a stranger and to the second node; ended by the node's event.
 * Hostile and impossible requests: no token, a viewer, an unknown site, odd bodies, no backups set up, a rebuild
 * already waiting.
 */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class RebuildApiTest {

    @jakarta.inject.Inject
    io.vertx.mutiny.sqlclient.Pool pool;

    private static String site(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static final long SESSION = System.currentTimeMillis() * 1000;

    private static void birth(MqttPublisher mqtt, String site, String node, Role role) {
        mqtt.publish(new Birth("1.0", site, node, SESSION, System.currentTimeMillis(), "t", null, role, Map.of(),
                List.of(), Map.of(), 0L));
    }

    private static void offline(MqttPublisher mqtt, String site, String node) {
        mqtt.publish(new Status("1.0", site, node, SESSION, false, System.currentTimeMillis(), "last-will"));
    }

    private static void event(MqttPublisher mqtt, String site, String node, long seq, String type,
                              Map<String, String> attrs) {
        mqtt.publish(new Event("1.0", site, node, seq, System.currentTimeMillis(), type, Severity.INFO, type, attrs));
    }

    private static boolean online(String site) {
        List<Map<String, Object>> nodes = given().get("/api/v1/sites/" + site).then().extract().path("nodes");
        return nodes != null && nodes.stream().anyMatch(n -> Boolean.TRUE.equals(n.get("online")));
    }

    private static WitnessReply ask(MqttPublisher mqtt, ConcurrentLinkedQueue<Message> inbox, String site, String node,
                                    Op op, long epoch) {
        String id = "w-" + UUID.randomUUID();
        mqtt.publish(new WitnessRequest("1.0", id, site, node, System.currentTimeMillis(), op, epoch, null,
                op == Op.PROMOTE ? 0L : null));
        return await().atMost(Duration.ofSeconds(10)).until(() -> inbox.stream()
                .filter(m -> m instanceof WitnessReply r && r.id().equals(id)).map(WitnessReply.class::cast)
                .findFirst().orElse(null), r -> r != null);
    }

    private static String state(String site) {
        return given().get("/api/v1/sites/" + site + "/rebuilds").then().statusCode(200).extract().path("[0].state");
    }

    @Test
    void anAuthorizationIsTakenOnceByANodeOfTheSiteAndEndedByItsEvent() {
        IngestProbe.awaitIngestReady();
        String site = site("rb");
        String path = "/api/v1/sites/" + site + "/rebuilds";
        try (MqttPublisher mqtt = new MqttPublisher()) {
            var toA = mqtt.subscribe("gk8s/v1/down/" + site + "/a/witness");
            var toB = mqtt.subscribe("gk8s/v1/down/" + site + "/b/witness");
            var toX = mqtt.subscribe("gk8s/v1/down/" + site + "/x/witness");
            birth(mqtt, site, "a", Role.PRIMARY);
            birth(mqtt, site, "b", Role.STANDBY);
            event(mqtt, site, "a", 1, "backup.configured", Map.of("repository", "/var/lib/gk8s/backup"));
            assertEquals(WitnessReply.Outcome.GRANTED, ask(mqtt, toA, site, "a", Op.PROMOTE, 1).outcome());
            await().atMost(Duration.ofSeconds(10)).until(() -> given().get("/api/v1/sites/" + site + "/events")
                    .asString().contains("backup.configured") && online(site));
            given().contentType("application/json").body("{}").post(path).then().statusCode(409)
                    .body("detail", containsString("has nodes online (a, b)"));
            WitnessReply early = ask(mqtt, toB, site, "b", Op.REBUILD, 2);
            assertEquals(WitnessReply.Outcome.REFUSED, early.outcome(), "no authorization yet");
            assertTrue(early.reason().contains("gk8s backup rebuild --site " + site), early.reason());

            offline(mqtt, site, "a"); // both nodes lost
            offline(mqtt, site, "b");
            await().atMost(Duration.ofSeconds(10)).until(() -> !online(site));
            given().contentType("application/json").body("{\"to\":\"2026-11-30T02:03:28.5+01:00\"}").post(path).then()
                    .statusCode(202).body("state", equalTo("waiting")).body("id", startsWith("rebuild-"))
                    .body("to", equalTo("2026-11-30T01:03:28.5Z"));
            given().contentType("application/json").body("{}").post(path).then().statusCode(409)
                    .body("detail", containsString("already waiting"));
            assertEquals("waiting", state(site));

            WitnessReply stranger = ask(mqtt, toX, site, "x", Op.REBUILD, 2);
            assertEquals(WitnessReply.Outcome.REFUSED, stranger.outcome(), "x is no node of the site");
            WitnessReply stale = ask(mqtt, toB, site, "b", Op.REBUILD, 3);
            assertEquals(WitnessReply.Outcome.REFUSED, stale.outcome(), "not the next epoch");
            assertEquals("waiting", state(site), "refusals leave the authorization waiting");
            // the old holder's lease (plus margin) runs out first, as for a promotion: WAIT until then, asked again
            java.util.concurrent.atomic.AtomicReference<WitnessReply> answer = new java.util.concurrent.atomic
                    .AtomicReference<>();
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250)).until(() -> {
                answer.set(ask(mqtt, toB, site, "b", Op.REBUILD, 2));
                return answer.get().outcome() != WitnessReply.Outcome.WAIT;
            });
            WitnessReply granted = answer.get();
            assertEquals(WitnessReply.Outcome.GRANTED, granted.outcome(), granted.reason());
            assertEquals(2L, granted.epoch());
            assertEquals("b", granted.holder());
            assertEquals(Instant.parse("2026-11-30T01:03:28.5Z"), Instant.parse(granted.rebuildTo()), "the target");
            WitnessReply second = ask(mqtt, toA, site, "a", Op.REBUILD, 3);
            assertEquals(WitnessReply.Outcome.REFUSED, second.outcome(), "taken once");
            given().get("/api/v1/sites/" + site + "/witness").then().body("epoch", equalTo(2))
                    .body("holder", equalTo("b")).body("standby", equalTo("a")).body("standbyEligible", equalTo(false));
            given().get(path).then().body("[0].state", equalTo("restoring")).body("[0].node", equalTo("b"))
                    .body("[0].epoch", equalTo(2));

            event(mqtt, site, "b", 7, "backup.rebuild-completed", Map.of("epoch", "1")); // another epoch's: ignored
            event(mqtt, site, "a", 2, "backup.rebuild-completed", Map.of("epoch", "2")); // another node's: ignored
            await().atMost(Duration.ofSeconds(10)).until(() -> given().get("/api/v1/sites/" + site + "/events")
                    .asString().split("backup.rebuild-completed", -1).length > 2);
            assertEquals("restoring", state(site));
            event(mqtt, site, "b", 8, "backup.rebuild-completed", Map.of("epoch", "2"));
            await().atMost(Duration.ofSeconds(10)).until(() -> state(site).equals("done"));
            assertTrue(given().get("/api/v1/sites/" + site + "/events").asString().contains("witness.rebuild-granted"));
        }
    }

    @Test
    void anAuthorizationNoNodeTookExpiresAndIsThenRefusedByTheWitness() {
        IngestProbe.awaitIngestReady();
        String site = site("rb-x");
        String path = "/api/v1/sites/" + site + "/rebuilds";
        try (MqttPublisher mqtt = new MqttPublisher()) {
            var toA = mqtt.subscribe("gk8s/v1/down/" + site + "/a/witness");
            birth(mqtt, site, "a", Role.PRIMARY);
            event(mqtt, site, "a", 1, "backup.configured", Map.of("repository", "/var/lib/gk8s/backup"));
            assertEquals(WitnessReply.Outcome.GRANTED, ask(mqtt, toA, site, "a", Op.PROMOTE, 1).outcome());
            await().atMost(Duration.ofSeconds(10)).until(() -> given().get("/api/v1/sites/" + site + "/events")
                    .asString().contains("backup.configured"));
            offline(mqtt, site, "a");
            await().atMost(Duration.ofSeconds(10)).until(() -> !online(site));
            given().contentType("application/json").body("{}").post(path).then().statusCode(202)
                    .body("state", equalTo("waiting"));
            // gk8s.backup.rebuild-ttl (1 h) passed: moved on the hub's clock, as a day-long wait would
            pool.preparedQuery("UPDATE site_rebuild SET expires_at = now() - interval '1 second' WHERE site_id = $1")
                    .execute(io.vertx.mutiny.sqlclient.Tuple.of(site)).await().atMost(Duration.ofSeconds(10));
            WitnessReply late = ask(mqtt, toA, site, "a", Op.REBUILD, 2);
            assertEquals(WitnessReply.Outcome.REFUSED, late.outcome(), "an expired authorization grants nothing");
            given().get(path).then().body("[0].state", equalTo("expired"))
                    .body("[0].message", containsString("gk8s.backup.rebuild-ttl"));
            given().get("/api/v1/sites/" + site + "/witness").then().body("epoch", equalTo(1));
        }
    }

    @Test
    void hostileAndImpossibleRequestsAreRefused() {
        IngestProbe.awaitIngestReady();
        String site = site("rb-h");
        String path = "/api/v1/sites/" + site + "/rebuilds";
        try (MqttPublisher mqtt = new MqttPublisher()) {
            birth(mqtt, site, "a", Role.PRIMARY);
            await().atMost(Duration.ofSeconds(10)).until(() -> online(site));
            given().contentType("application/json").body("{}").post(path).then().statusCode(409)
                    .body("detail", containsString("has nodes online (a)"));
            offline(mqtt, site, "a");
            await().atMost(Duration.ofSeconds(10)).until(() -> !online(site));
        }
        given().header("Authorization", "Bearer nope").get(path).then().statusCode(401);
        given().contentType("application/json").body("{}").header("Authorization", "Bearer nope").post(path).then()
                .statusCode(401);
        given().header("Authorization", "Bearer " + HubInfrastructure.VIEWER_TOKEN).contentType("application/json")
                .body("{}").post(path).then().statusCode(403);
        given().header("Authorization", "Bearer " + HubInfrastructure.VIEWER_TOKEN).get(path).then().statusCode(200)
                .body("size()", equalTo(0));
        given().get("/api/v1/sites/no-such-site/rebuilds").then().statusCode(404);
        given().contentType("application/json").body("{}").post("/api/v1/sites/no-such-site/rebuilds").then()
                .statusCode(404).body("detail", containsString("no site 'no-such-site'"));
        for (String bad : new String[] {"yesterday", "2026-11-30T01:03:28", "1764464608",
                "2026-11-30T01:03:28Z'; DROP TABLE site_rebuild; --", Instant.now().plusSeconds(3600).toString(),
                "x".repeat(10_000)}) {
            given().contentType("application/json").body(Map.of("to", bad)).post(path).then().statusCode(400)
                    .body("detail", startsWith("to: "));
        }
        given().contentType("application/json").body("{\"to\":").post(path).then().statusCode(400);
        given().contentType("application/json").body("{\"target\":\"2026-11-30T01:03:28Z\"}").post(path).then()
                .statusCode(400).body("detail", equalTo("unknown field 'target': the body has only 'to'"));
        given().contentType("application/json").body("{\"to\":1764464608}").post(path).then().statusCode(400);
        given().contentType("application/json").body("[\"2026-11-30T01:03:28Z\"]").post(path).then().statusCode(400);
        given().contentType("application/json").body("{\"to\":{\"a\":1}}").post(path).then().statusCode(400);
        given().contentType("application/json").body("{}").post(path).then().statusCode(409)
                .body("detail", containsString("never set backups up"));
        given().get(path).then().statusCode(200).body("size()", equalTo(0));
    }
}
