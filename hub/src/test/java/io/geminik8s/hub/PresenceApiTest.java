package io.geminik8s.hub;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.geminik8s.protocol.Birth;
import io.geminik8s.protocol.Event;
import io.geminik8s.protocol.Golden;
import io.geminik8s.protocol.Health;
import io.geminik8s.protocol.Kind;
import io.geminik8s.protocol.Role;
import io.geminik8s.protocol.Severity;
import io.geminik8s.protocol.Status;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Ingest → PostgreSQL → REST through the real broker and database; payloads are the golden vectors. */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class PresenceApiTest {

    static MqttPublisher mqtt;

    @BeforeAll
    static void connect() {
        mqtt = new MqttPublisher();
    }

    @BeforeEach
    void ingestReady() {
        IngestProbe.awaitIngestReady();
    }

    @AfterAll
    static void disconnect() {
        mqtt.close();
    }

    static int status(String path) {
        return given().when().get(path).then().extract().statusCode();
    }

    @Test
    void goldenVectorsPublishedByANodeShowUpInTheApiAndEventsAreDeduplicated() {
        for (Kind k : List.of(Kind.BIRTH, Kind.HEALTH, Kind.EVENT, Kind.EVENT, Kind.RESULT)) {
            mqtt.raw(io.geminik8s.protocol.Topics.up("store-0042", "a", k), Golden.bytes(Golden.V1_0, k), false);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> status("/api/v1/sites/store-0042/events") == 200
                && given().get("/api/v1/sites/store-0042").then().extract().path("nodes[0].healthAt") != null
                && !given().get("/api/v1/sites/store-0042/events").then().extract().<List<?>>path("items").isEmpty());
        given().get("/api/v1/sites/store-0042").then().statusCode(200)
                .body("registration", equalTo("pending"))
                .body("labels.region", equalTo("eu-west"))
                .body("nodes", hasSize(1))
                .body("nodes[0].id", equalTo("a"))
                .body("nodes[0].online", equalTo(true))
                .body("nodes[0].role", equalTo("primary"))
                .body("nodes[0].agentVersion", equalTo("0.1.0"))
                .body("nodes[0].versions.k3s", equalTo("v1.31.4+k3s1"))
                .body("nodes[0].lastAppliedGeneration", equalTo(7))
                .body("nodes[0].health.cpuPct", equalTo(12.5f))
                .body("status", equalTo("degraded"))
                .body("statusReason", equalTo("1 of 2 nodes online"));
        given().get("/api/v1/sites/store-0042/events").then().statusCode(200)
                .body("items", hasSize(1))
                .body("items[0].seq", equalTo(17))
                .body("items[0].type", equalTo("pg.role-changed"))
                .body("items[0].attrs.to", equalTo("primary"));
    }

    @Test
    void siteStatusIsDerivedFromBothNodes() {
        long now = System.currentTimeMillis();
        for (String site : List.of("st-healthy", "st-split")) {
            for (String node : List.of("a", "b")) {
                Role role = site.equals("st-healthy") && node.equals("b") ? Role.STANDBY : Role.PRIMARY;
                mqtt.publish(new Birth("1.0", site, node, now * 1000, now, "t", null, role, Map.of(), List.of(),
                        Map.of("env", site), 0L));
                mqtt.publish(new Health("1.0", site, node, now, 1.0, null, null, null, null, 1L,
                        new Health.Pg(role, 0L, role == Role.STANDBY, null), null, null));
            }
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            given().get("/api/v1/sites/st-healthy").then().body("status", equalTo("healthy"));
            given().get("/api/v1/sites/st-split").then().body("status", equalTo("split"))
                    .body("statusReason", equalTo("2 nodes report primary"));
        });
        given().queryParam("status", "split").queryParam("label", "env=st-split").get("/api/v1/sites").then()
                .log().ifValidationFails().statusCode(200).body("total", equalTo(1)).body("items[0].id", equalTo("st-split"))
                .body("items[0].nodesOnline", equalTo(2));
        given().queryParam("label", "env=st-healthy").queryParam("status", "split").get("/api/v1/sites").then()
                .body("total", equalTo(0)).body("items", hasSize(0));

        // a graceful shutdown of the standby: offline status of the current session → degraded
        mqtt.publish(new Status("1.0", "st-healthy", "b", now * 1000, false, now, "shutdown"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> given().get("/api/v1/sites/st-healthy").then()
                .body("status", equalTo("degraded")).body("nodes[1].offlineReason", equalTo("shutdown")));
        // a stale Last Will of an older session must not take the node down again after it came back
        mqtt.publish(new Birth("1.0", "st-healthy", "b", now * 1000 + 1, now, "t", null, Role.STANDBY, Map.of(),
                List.of(), Map.of("env", "st-healthy"), 0L));
        mqtt.publish(new Status("1.0", "st-healthy", "b", now * 1000, false, now, "last-will"));
        mqtt.publish(new Event("1.0", "st-healthy", "b", 1L, now, "probe.done", Severity.INFO, null, null));
        await().atMost(Duration.ofSeconds(10)).until(() -> given().get("/api/v1/sites/st-healthy/events").then()
                .extract().path("items.size()").equals(1));
        given().get("/api/v1/sites/st-healthy").then().body("status", equalTo("healthy"))
                .body("nodes[1].online", equalTo(true));
    }

    @Test
    void aNodeThatGoesSilentWithoutALastWillTimesOut() {
        long now = System.currentTimeMillis();
        mqtt.publish(new Birth("1.0", "st-silent", "a", now * 1000, now, "t", null, Role.PRIMARY, Map.of(),
                List.of(), Map.of(), 0L));
        await().atMost(Duration.ofSeconds(10)).until(() -> status("/api/v1/sites/st-silent") == 200
                && Boolean.TRUE.equals(given().get("/api/v1/sites/st-silent").then().extract().path("nodes[0].online")));
        long t0 = System.nanoTime();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> given().get("/api/v1/sites/st-silent").then()
                .body("nodes[0].online", equalTo(false)).body("nodes[0].offlineReason", equalTo("heartbeat-timeout"))
                .body("status", equalTo("offline")));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("heartbeat timeout (10 s configured) observed after " + ms + " ms");
    }

    @Test
    void badRequestsGetProblemDetails() {
        given().queryParam("status", "great").get("/api/v1/sites").then().statusCode(400)
                .contentType("application/problem+json").body("status", equalTo(400))
                .body("title", equalTo("Bad request"))
                .body("detail", equalTo("status must be one of [healthy, degraded, split, offline, pending], got 'great'"));
        given().queryParam("size", "0").get("/api/v1/sites").then().statusCode(400)
                .body("detail", equalTo("size must be between 1 and 500, got 0"));
        given().queryParam("page", "x").get("/api/v1/sites").then().statusCode(400);
        given().queryParam("label", "novalue").get("/api/v1/sites").then().statusCode(400);
        given().get("/api/v1/sites/no-such-site").then().statusCode(404).contentType("application/problem+json")
                .body("instance", equalTo("/api/v1/sites/no-such-site"));
        given().get("/api/v1/sites/no-such-site/events").then().statusCode(404);
        given().queryParam("limit", "5000").get("/api/v1/sites/no-such-site/events").then().statusCode(400);
    }

    @Test
    void openApiAndHealthAreServed() {
        given().get("/q/openapi").then().statusCode(200);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)) // ready once the first canary is in
                .until(() -> given().get("/q/health/ready").then().extract().statusCode() == 200);
        assertEquals(200, status("/q/metrics"));
    }
}
