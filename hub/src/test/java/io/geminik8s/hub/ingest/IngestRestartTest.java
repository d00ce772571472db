package io.geminik8s.hub.ingest;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.IngestProbe;
import io.geminik8s.hub.MqttPublisher;
import io.geminik8s.protocol.Event;
import io.geminik8s.protocol.Severity;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The broker goes away under a running hub and comes back with no memory of the hub's session or subscription (as
 * Mosquitto 2.0.11 did with the shared subscription, MosquittoRestartTest): readiness says DOWN while the hub cannot ingest, and UP again only once it ingests — the hub
 * subscribes on every connect instead of trusting the broker to remember.
 */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class IngestRestartTest {

    private static int ready() {
        return given().get("/q/health/ready").then().extract().statusCode();
    }

    private static void sendAndAwait(String site, long from, long to) {
        try (MqttPublisher mqtt = new MqttPublisher()) {
            for (long seq = from; seq <= to; seq++) {
                mqtt.publish(new Event("1.0", site, "a", seq, System.currentTimeMillis(), "test.tick", Severity.INFO,
                        "tick " + seq, Map.of()));
            }
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            List<?> items = given().queryParam("limit", "500").get("/api/v1/sites/" + site + "/events").then()
                    .extract().path("items");
            return items != null && items.size() == to;
        });
    }

    @Test
    void aBrokerThatForgotTheHubIsSubscribedAgainAndReadinessTellsTheTruth() {
        IngestProbe.awaitIngestReady();
        await().atMost(Duration.ofSeconds(20)).until(() -> ready() == 200);
        String site = "restart-" + UUID.randomUUID().toString().substring(0, 8);
        sendAndAwait(site, 1, 20);

        HubInfrastructure.stopBroker();
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> ready() == 503);
            String body = given().get("/q/health/ready").then().extract().asString();
            assertTrue(body.contains("not connected or not subscribed"), body);
        } finally {
            HubInfrastructure.startBroker();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> ready() == 200);
        sendAndAwait(site, 21, 40);
    }
}
