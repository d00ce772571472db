package io.geminik8s.hub.presence;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.IngestProbe;
import io.geminik8s.hub.MqttPublisher;
import io.geminik8s.protocol.Event;
import io.geminik8s.protocol.Health;
import io.geminik8s.protocol.Role;
import io.geminik8s.protocol.Severity;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Health written in the order of its key, not of arrival: what two replicas do when one writes a newer sample and
 * the other an older one after it (an older "primary" sample after a failover showed a false split). Each sample is
 * committed before the next is sent, as separate replicas' flushes would be.
 */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class HealthOrderTest {

    private static Health sample(String site, long ts, Role role, long session, long n) {
        return new Health("1.2", site, "a", ts, 1.0, null, null, null, null, null,
                new Health.Pg(role, 0L, role == Role.STANDBY, null), null, null, session, n);
    }

    private static String role(String site) {
        return given().get("/api/v1/sites/" + site).then().extract().path("nodes[0].role");
    }

    /** Sends {@code h}, then a marker event behind it on the same connection, and waits for the marker. */
    private static void sendAndFlush(MqttPublisher mqtt, String site, Health h, long marker) {
        mqtt.publish(h);
        mqtt.publish(new Event("1.0", site, "a", marker, System.currentTimeMillis(), "test.mark", Severity.INFO, "m",
                Map.of()));
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            var items = given().get("/api/v1/sites/" + site + "/events").then().extract().<java.util.List<?>>path("items");
            return items != null && items.size() == marker;
        });
    }

    @Test
    void anOlderSampleWrittenLaterDoesNotOverwriteANewerOne() {
        IngestProbe.awaitIngestReady();
        String site = "order-" + UUID.randomUUID().toString().substring(0, 8);
        long now = System.currentTimeMillis();
        long session = 7_000_000L;
        try (MqttPublisher mqtt = new MqttPublisher()) {
            sendAndFlush(mqtt, site, sample(site, now, Role.STANDBY, session, 2), 1);
            assertEquals("standby", role(site));
            // the node's former sample, taken when it was primary, but stamped later by a clock that jumped ahead
            sendAndFlush(mqtt, site, sample(site, now + 60_000, Role.PRIMARY, session, 1), 2);
            assertEquals("standby", role(site), "the older sample was not applied");
            // a new session after a restart, with the node's clock behind: it is newer
            sendAndFlush(mqtt, site, sample(site, now - 3_600_000, Role.PRIMARY, session + 1_000_000, 1), 3);
            assertEquals("primary", role(site), "a later session wins whatever its clock");
        }
    }
}
