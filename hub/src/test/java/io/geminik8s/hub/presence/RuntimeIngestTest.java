package io.geminik8s.hub.presence;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.IngestProbe;
import io.geminik8s.hub.MqttPublisher;
import io.geminik8s.protocol.Birth;
import io.geminik8s.protocol.Event;
import io.geminik8s.protocol.Health;
import io.geminik8s.protocol.Kind;
import io.geminik8s.protocol.Role;
import io.geminik8s.protocol.Severity;
import io.geminik8s.protocol.Topics;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * A node's protocol 1.3 runtime: its versions merged over the birth's (so the API and the version filter show what
 * runs), kept in the (session, sample) order, and hostile samples refused or capped, never stored as sent.
 */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class RuntimeIngestTest {

    private static final long SESSION = 9_000_000L;

    private static Health sample(String site, long n, String k3s, Health.Upgrade upgrade) {
        return new Health("1.3", site, "a", System.currentTimeMillis(), 1.0, null, null, null, null, null,
                new Health.Pg(Role.PRIMARY, 0L, null, null), null, null, SESSION, n,
                new Health.Runtime(Map.of("k3s", k3s), true, true, upgrade));
    }

    /** Sends {@code payload} on the node's health topic, then a marker event behind it, and waits for the marker. */
    private static void sendAndFlush(MqttPublisher mqtt, String site, byte[] payload, long marker) {
        mqtt.raw(Topics.up(site, "a", Kind.HEALTH), payload, false);
        mqtt.publish(new Event("1.0", site, "a", marker, System.currentTimeMillis(), "test.mark", Severity.INFO, "m",
                Map.of()));
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            List<?> items = given().get("/api/v1/sites/" + site + "/events").then().extract().path("items");
            return items != null && items.size() == marker;
        });
    }

    private static String json(Health h) {
        return new String(new io.geminik8s.protocol.Codec().encode(h), StandardCharsets.UTF_8);
    }

    private static Map<String, String> versions(String site) {
        return given().get("/api/v1/sites/" + site).then().extract().path("nodes[0].versions");
    }

    private static List<String> sitesRunning(String version) {
        return given().queryParam("version", version).queryParam("size", 500).get("/api/v1/sites").then()
                .extract().path("items.id");
    }

    @Test
    void runtimeVersionsAreMergedOverTheBirthsInSampleOrder() {
        IngestProbe.awaitIngestReady();
        String site = "rt-" + UUID.randomUUID().toString().substring(0, 8);
        try (MqttPublisher mqtt = new MqttPublisher()) {
            mqtt.publish(new Birth("1.3", site, "a", SESSION, System.currentTimeMillis(), "0.9.0", "h", Role.PRIMARY,
                    Map.of("k3s", "v1.31.4+k3s1", "agent", "0.9.0"), List.of(), Map.of(), 0L));
            sendAndFlush(mqtt, site, json(sample(site, 2, "v1.31.5+k3s1", null)).getBytes(StandardCharsets.UTF_8),
                    1);
            assertEquals(Map.of("k3s", "v1.31.5+k3s1", "agent", "0.9.0"), versions(site), "K3s from the runtime");
            assertTrue(sitesRunning("k3s=v1.31.5+k3s1").contains(site));
            assertFalse(sitesRunning("k3s=v1.31.4+k3s1").contains(site), "the birth's version is history");
            // a newer sample without runtime means "unchanged": the stored runtime stays (versions, step, VIP)
            Health quiet = new Health("1.3", site, "a", System.currentTimeMillis(), 2.0, null, null, null, null, null,
                    new Health.Pg(Role.PRIMARY, 0L, null, null), null, null, SESSION, 3L, null);
            sendAndFlush(mqtt, site, json(quiet).getBytes(StandardCharsets.UTF_8), 2);
            assertEquals(Map.of("k3s", "v1.31.5+k3s1", "agent", "0.9.0"), versions(site), "kept without runtime");
            assertEquals(Boolean.TRUE, given().get("/api/v1/sites/" + site).then().extract()
                    .path("nodes[0].health.runtime.vipAnswers"), "the runtime kept beside the newer sample");
            Number cpu = given().get("/api/v1/sites/" + site).then().extract().path("nodes[0].health.cpuPct");
            assertEquals(2.0, cpu.doubleValue(), "the newer sample itself is stored");
            // an older sample arriving later does not bring the old version back
            sendAndFlush(mqtt, site, json(sample(site, 1, "v1.31.4+k3s1", null)).getBytes(StandardCharsets.UTF_8),
                    3);
            assertEquals("v1.31.5+k3s1", versions(site).get("k3s"));
            // the agent restarts (a newer session): its birth is newer than the stored sample
            mqtt.publish(new Birth("1.3", site, "a", SESSION + 1, System.currentTimeMillis(), "0.9.1", "h",
                    Role.PRIMARY, Map.of("k3s", "v1.31.6+k3s1", "agent", "0.9.1"), List.of(), Map.of(), 0L));
            await().atMost(Duration.ofSeconds(10)).until(() -> "v1.31.6+k3s1".equals(versions(site).get("k3s")));
            assertEquals("0.9.1", versions(site).get("agent"));
        }
    }

    @Test
    void hostileRuntimeIsRefusedOrCappedNeverStoredAsSent() {
        IngestProbe.awaitIngestReady();
        String site = "rt-" + UUID.randomUUID().toString().substring(0, 8);
        try (MqttPublisher mqtt = new MqttPublisher()) {
            String good = json(sample(site, 1, "v1.31.5+k3s1", new Health.Upgrade(3L, "done", null, null, null)));
            sendAndFlush(mqtt, site, good.getBytes(StandardCharsets.UTF_8), 1);
            String base = good.replace("\"sample\":1", "\"sample\":%d");
            assertTrue(base.contains("%d"), base);
            String many = IntStream.range(0, 17).mapToObj(i -> "\"c" + i + "\":\"v\"")
                    .collect(Collectors.joining(",", "{", "}"));
            List<String> hostile = List.of(
                    base.formatted(2).replace("{\"k3s\":\"v1.31.5+k3s1\"}", many),
                    base.formatted(3).replace("\"k3s\":\"v1.31.5+k3s1\"", "\"k3s\":\"" + "v".repeat(129) + "\""),
                    base.formatted(4).replace("\"k3s\":\"v1.31.5+k3s1\"", "\"" + "k".repeat(33) + "\":\"v\""),
                    base.formatted(5).replace("\"step\":\"done\"", "\"step\":\"exploding\""),
                    base.formatted(6).replace("\"step\":\"done\"", "\"step\":\"failed\",\"error\":\""
                            + "e".repeat(10_240) + "\""));
            long marker = 2;
            for (String h : hostile) {
                assertTrue(!h.equals(base.formatted(marker)), "the case changed the sample");
                sendAndFlush(mqtt, site, h.getBytes(StandardCharsets.UTF_8), marker++);
            }
            var stored = given().get("/api/v1/sites/" + site).then().extract().jsonPath();
            assertEquals(1, stored.getInt("nodes[0].health.sample"), "every hostile sample refused");
            assertEquals(3, stored.getInt("upgrade.generation"));
            assertFalse("failed".equals(stored.getString("upgrade.step")), "the 10 kB failure was refused");
            assertEquals(Map.of("k3s", "v1.31.5+k3s1"), versions(site));
            // valid but large (an error within the protocol's 1,024 characters) and with a field this hub does not
            // know: stored as decoded (without the unknown field), the site's error capped
            String large = base.formatted(20).replace("\"step\":\"done\"", "\"step\":\"failed\",\"error\":\""
                    + "e".repeat(1000) + "\"").replace("\"k3sReady\":true", "\"k3sReady\":true,\"evil\":\"x\"");
            sendAndFlush(mqtt, site, large.getBytes(StandardCharsets.UTF_8), marker);
            var detail = given().get("/api/v1/sites/" + site).then().extract().jsonPath();
            assertEquals(20, detail.getInt("nodes[0].health.sample"));
            assertFalse(detail.getString("nodes[0].health.runtime").contains("evil"), "not stored as sent");
            assertEquals("failed", detail.getString("upgrade.step"));
            assertEquals(SiteUpgrade.MAX_ERROR, detail.getString("upgrade.error").length());
        }
    }
}
