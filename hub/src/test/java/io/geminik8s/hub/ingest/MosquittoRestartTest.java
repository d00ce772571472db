package io.geminik8s.hub.ingest;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import io.geminik8s.hub.MosquittoInfrastructure;
import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.Birth;
import io.geminik8s.protocol.Event;
import io.geminik8s.protocol.Health;
import io.geminik8s.protocol.Role;
import io.geminik8s.protocol.Status;
import io.geminik8s.protocol.Severity;
import io.geminik8s.protocol.Topics;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Debian's Mosquitto 2.0 restarted under a running hub (2.0.11 resumes the hub's session without a {@code $share}
 * subscription: ingest stopped while ready said UP, and with the shared subscription what the node sent before the
 * hub subscribed again was acknowledged and dropped — all 50 events sent while the broker was away): the hub
 * subscribes again, readiness is DOWN while it cannot ingest, every event a node had acknowledged, before, during
 * and after, is stored, and the node — sending health, its Last Will delayed as an agent's is, reconnecting as an
 * agent does — is never shown offline for the restart.
 */
@QuarkusTest
@WithTestResource(value = MosquittoInfrastructure.class, scope = TestResourceScope.RESTRICTED_TO_CLASS)
class MosquittoRestartTest {

    private final Codec codec = new Codec();

    private static int ready() {
        return given().get("/q/health/ready").then().extract().statusCode();
    }

    private static int stored(String site) {
        List<?> items = given().queryParam("limit", "1000").get("/api/v1/sites/" + site + "/events").then()
                .extract().path("items");
        return items == null ? 0 : items.size();
    }

    @Test
    void aMosquittoRestartLosesNothingAndIngestComesBack() throws Exception {
        assumeTrue(MosquittoInfrastructure.available() || "1".equals(System.getenv("GK8S_REQUIRE_MOSQUITTO")),
                "Debian's mosquitto is not installed: this test did not run");
        await().atMost(Duration.ofSeconds(30)).until(() -> ready() == 200);
        String site = "mosq-" + UUID.randomUUID().toString().substring(0, 8);
        // a node: persistent session, QoS 1; the client keeps what the broker has not acknowledged and resends it
        Mqtt5AsyncClient node = Mqtt5Client.builder().identifier(site + "-a").serverHost("127.0.0.1")
                .serverPort(org.eclipse.microprofile.config.ConfigProvider.getConfig().getValue("gk8s.mqtt.port", Integer.class))
                // soon after the broker is back, as an agent may (full jitter from 1 s), not the client's 1 s or more
                .automaticReconnect().initialDelay(200, TimeUnit.MILLISECONDS).maxDelay(2, TimeUnit.SECONDS)
                .applyAutomaticReconnect().buildAsync();
        long session = System.currentTimeMillis() * 1000;
        Status will = new Status("1.0", site, "a", session, false, System.currentTimeMillis(), "last-will");
        // as an agent connects: a Last Will delayed past a broker restart (mqtt.will-delay-s, 60 s by default)
        node.connectWith().cleanStart(false).sessionExpiryInterval(600)
                .willPublish().topic(Topics.topicOf(will)).qos(MqttQos.AT_LEAST_ONCE).retain(true)
                .payload(codec.encode(will)).delayInterval(60).applyWillPublish()
                .send().get(10, TimeUnit.SECONDS);
        long now = System.currentTimeMillis();
        Birth birth = new Birth("1.0", site, "a", session, now, "t", null, Role.PRIMARY, Map.of(), List.of(), Map.of(), 0L);
        node.publishWith().topic(Topics.topicOf(birth)).qos(MqttQos.AT_LEAST_ONCE).retain(true)
                .payload(codec.encode(birth)).send().get(10, TimeUnit.SECONDS);
        AtomicLong sample = new AtomicLong();
        ScheduledExecutorService agent = Executors.newSingleThreadScheduledExecutor();
        agent.scheduleAtFixedRate(() -> { // health every 500 ms, as an agent sends it (queued while the broker is away)
            Health h = new Health("1.2", site, "a", System.currentTimeMillis(), 1.0, null, null, null, null, null,
                    null, null, null, session, sample.incrementAndGet());
            node.publishWith().topic(Topics.topicOf(h)).qos(MqttQos.AT_MOST_ONCE).payload(codec.encode(h)).send();
        }, 0, 500, TimeUnit.MILLISECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> online(site) == Boolean.TRUE);
        AtomicInteger offlineSeen = new AtomicInteger();
        java.util.Set<String> reasons = java.util.concurrent.ConcurrentHashMap.newKeySet();
        ScheduledExecutorService watcher = Executors.newSingleThreadScheduledExecutor();
        watcher.scheduleAtFixedRate(() -> {
            if (online(site) == Boolean.FALSE) {
                offlineSeen.incrementAndGet();
                reasons.add(given().get("/api/v1/sites/" + site).then().extract().path("nodes[0].offlineReason"));
            }
        }, 0, 100, TimeUnit.MILLISECONDS);
        List<CompletableFuture<?>> acked = new ArrayList<>();
        int seq = 0;
        for (; seq < 50; seq++) {
            acked.add(send(node, site, seq + 1));
        }
        CompletableFuture.allOf(acked.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        MosquittoInfrastructure.stopBroker();
        CompletableFuture<Void> whileAway;
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> ready() == 503);
            // while the broker is away the node keeps what it sends (the client holds the caller until it is back)
            whileAway = CompletableFuture.runAsync(() -> {
                for (long s = 51; s <= 100; s++) {
                    send(node, site, s).join();
                }
            });
        } finally {
            MosquittoInfrastructure.startBroker();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> ready() == 200);
        whileAway.get(60, TimeUnit.SECONDS);
        for (seq = 100; seq < 150; seq++) {
            acked.add(send(node, site, seq + 1));
        }
        CompletableFuture.allOf(acked.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals(List.of(), missing(site),
                "events the broker acknowledged that are not stored"));
        assertEquals(150, stored(site), "every event the broker acknowledged is stored, once");
        watcher.shutdownNow();
        agent.shutdownNow();
        assertEquals(0, offlineSeen.get(), "polls (every 100 ms) that showed the node offline across the restart; reasons " + reasons);
        node.disconnect();
    }

    /** The sequence numbers of 1..150 the hub has not stored. */
    private static List<Integer> missing(String site) {
        List<Integer> seqs = given().queryParam("limit", "1000").get("/api/v1/sites/" + site + "/events").then()
                .extract().path("items.seq");
        List<Integer> gone = new ArrayList<>();
        for (int s = 1; s <= 150; s++) {
            if (seqs == null || !seqs.contains(s)) {
                gone.add(s);
            }
        }
        return gone;
    }

    private static Boolean online(String site) {
        var r = given().get("/api/v1/sites/" + site).then().extract();
        return r.statusCode() == 200 ? r.path("nodes[0].online") : null;
    }

    private CompletableFuture<?> send(Mqtt5AsyncClient node, String site, long seq) {
        Event e = new Event("1.0", site, "a", seq, System.currentTimeMillis(), "test.tick", Severity.INFO, "t", Map.of());
        return node.publishWith().topic(Topics.topicOf(e)).qos(MqttQos.AT_LEAST_ONCE).payload(codec.encode(e)).send();
    }
}
