package io.geminik8s.hub.witness;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.geminik8s.hub.IngestProbe;
import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.protocol.Message;
import io.geminik8s.protocol.WitnessReply;
import io.geminik8s.protocol.WitnessRequest;
import io.geminik8s.protocol.WitnessRequest.Op;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/** Witness request/response through the real broker: the node's request in, the hub's reply on its down topic. */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class WitnessMqttTest {

    @Test
    void nodesGetTheirWitnessRepliesOnTheirOwnTopicMatchedById() throws Exception {
        IngestProbe.awaitIngestReady();
        try (var mqtt = new io.geminik8s.hub.MqttPublisher()) {
            ConcurrentLinkedQueue<Message> toA = mqtt.subscribe("gk8s/v1/down/wm-1/a/witness");
            ConcurrentLinkedQueue<Message> toB = mqtt.subscribe("gk8s/v1/down/wm-1/b/witness");
            mqtt.publish(new WitnessRequest("1.0", "boot", "wm-1", "a", 1L, Op.PROMOTE, 1L, null, 0L));
            WitnessReply boot = awaitReply(toA, "boot");
            assertEquals(WitnessReply.Outcome.GRANTED, boot.outcome());
            assertEquals(1L, boot.epoch());
            assertEquals("a", boot.holder());
            assertEquals(1500L, boot.leaseMs());

            mqtt.publish(new WitnessRequest("1.0", "early", "wm-1", "b", 1L, Op.PROMOTE, 2L, null, 100L));
            WitnessReply refused = awaitReply(toB, "early");
            assertEquals(WitnessReply.Outcome.REFUSED, refused.outcome(), "b was never reported in sync");
            assertEquals("b is not sync-eligible", refused.reason());

            mqtt.publish(new WitnessRequest("1.0", "ok", "wm-1", "a", 1L, Op.PEER_OK, 1L, "b", null));
            assertEquals(WitnessReply.Outcome.GRANTED, awaitReply(toA, "ok").outcome());
            // a's bootstrap lease (1500 ms, from the hub) is refused to b until it lapses plus the margin (500 ms)
            java.util.concurrent.atomic.AtomicInteger attempt = new java.util.concurrent.atomic.AtomicInteger();
            WitnessReply take = await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
                String id = "take-" + attempt.incrementAndGet();
                mqtt.publish(new WitnessRequest("1.0", id, "wm-1", "b", 1L, Op.PROMOTE, 2L, null, 60_000L));
                return awaitReply(toB, id);
            }, r -> r.outcome() == WitnessReply.Outcome.GRANTED);
            assertEquals(2L, take.epoch());
            assertEquals("b", take.holder());
            mqtt.publish(new WitnessRequest("1.0", "old", "wm-1", "a", 1L, Op.RENEW, 1L, null, null));
            WitnessReply old = awaitReply(toA, "old");
            assertEquals(WitnessReply.Outcome.REFUSED, old.outcome());
            assertEquals(2L, old.epoch(), "the reply tells the old holder the epoch it must rejoin");

            given().get("/api/v1/sites/wm-1/witness").then().statusCode(200)
                    .body("epoch", equalTo(2)).body("holder", equalTo("b")).body("standby", equalTo("a"))
                    .body("standbyEligible", equalTo(false))
                    .body("grants.epoch", contains(1, 2)).body("grants.holder", contains("a", "b"));
            given().get("/api/v1/sites/never-asked/witness").then().statusCode(404)
                    .contentType("application/problem+json");
        }
    }

    private static WitnessReply awaitReply(ConcurrentLinkedQueue<Message> inbox, String id) {
        return await().atMost(Duration.ofSeconds(10)).until(() -> inbox.stream()
                .filter(m -> m instanceof WitnessReply r && r.id().equals(id)).map(WitnessReply.class::cast)
                .findFirst().orElse(null), r -> r != null);
    }
}
