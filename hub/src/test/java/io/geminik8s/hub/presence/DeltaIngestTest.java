package io.geminik8s.hub.presence;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.IngestProbe;
import io.geminik8s.hub.MqttPublisher;
import io.geminik8s.protocol.Event;
import io.geminik8s.protocol.Health;
import io.geminik8s.protocol.Kind;
import io.geminik8s.protocol.Role;
import io.geminik8s.protocol.Severity;
import io.geminik8s.protocol.Topics;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Protocol 1.4's delta samples through the real broker into PostgreSQL: what a delta leaves out is the stored
 * sample's, it is ordered in the stored session, and an older agent's complete samples mean what they always meant.
 */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class DeltaIngestTest {

    private static final long SESSION = 7_000_000L;

    /** Sends {@code h}, then a marker event behind it, and waits for the marker: the sample's flush is done. */
    private static void sendAndFlush(MqttPublisher mqtt, Health h, long marker) {
        mqtt.raw(Topics.up(h.site(), "a", Kind.HEALTH), new io.geminik8s.protocol.Codec().encode(h), false);
        mqtt.publish(new Event("1.0", h.site(), "a", marker, System.currentTimeMillis(), "test.mark", Severity.INFO,
                "m", Map.of()));
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            List<?> items = given().get("/api/v1/sites/" + h.site() + "/events").then().extract().path("items");
            return items != null && items.size() == marker;
        });
    }

    private static JsonPath site(String site) {
        return given().get("/api/v1/sites/" + site).then().statusCode(200).extract().jsonPath();
    }

    private static final long T0 = 1_795_708_800_000L;

    /** A delta stamped {@code sample} × 30 s after T0, the complete sample's time. */
    private static Health delta(String site, long sample, double cpu) {
        return new Health("1.4", site, "a", T0 + 30_000 * (sample - 1), cpu, 11L * sample, null, 21L, null, null,
                null, null, null, null, sample, null);
    }

    @Test
    void aDeltaTakesWhatItLeavesOutFromTheStoredSampleInItsSession() {
        IngestProbe.awaitIngestReady();
        String site = "dl-" + UUID.randomUUID().toString().substring(0, 8);
        try (MqttPublisher mqtt = new MqttPublisher()) {
            sendAndFlush(mqtt, new Health("1.4", site, "a", T0, 1.0, 10L, 100L, 20L, 200L, 5L,
                    new Health.Pg(Role.PRIMARY, 0L, null, null), null, 4L, SESSION, 1L,
                    new Health.Runtime(Map.of("k3s", "v1.31.5+k3s1"), true, true, null)), 1);
            sendAndFlush(mqtt, delta(site, 2, 2.0), 2);
            JsonPath after = site(site);
            assertEquals(2.0f, after.getFloat("nodes[0].health.cpuPct"), "the delta's own fields");
            assertEquals(22, after.getInt("nodes[0].health.memUsedBytes"));
            assertEquals(2, after.getInt("nodes[0].health.sample"));
            assertEquals(100, after.getInt("nodes[0].health.memTotalBytes"), "left out: the stored sample's");
            assertEquals(SESSION, after.getLong("nodes[0].health.session"), "in the stored sample's session");
            assertEquals("primary", after.getString("nodes[0].health.pg.role"));
            assertEquals("primary", after.getString("nodes[0].role"));
            assertEquals("v1.31.5+k3s1", after.getString("nodes[0].versions.k3s"));
            assertEquals(4, after.getInt("nodes[0].health.appliedGeneration"));
            assertEquals(35, after.getInt("nodes[0].health.uptimeS"), "the stored uptime, 30 s on");

            sendAndFlush(mqtt, delta(site, 1, 9.0), 3); // an older delta written late changes nothing
            assertEquals(2.0f, site(site).getFloat("nodes[0].health.cpuPct"));

            // an agent of 1.3 sends complete samples only: what it leaves out is absent, as it always was (but its
            // runtime, absent, is unchanged: 1.3's rule)
            sendAndFlush(mqtt, new Health("1.3", site, "a", System.currentTimeMillis(), 3.0, 12L, null, null, null,
                    null, new Health.Pg(Role.PRIMARY, 0L, null, null), null, null, SESSION + 1, 1L, null), 4);
            JsonPath old = site(site);
            assertEquals(3.0f, old.getFloat("nodes[0].health.cpuPct"));
            assertNull(old.get("nodes[0].health.memTotalBytes"), "a 1.3 sample is complete");
            assertEquals(SESSION + 1, old.getLong("nodes[0].health.session"));
            assertEquals(true, old.getBoolean("nodes[0].health.runtime.vipAnswers"));
        }
    }
}
