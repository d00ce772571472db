package io.geminik8s.cli.mosquitto;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The hub away (restarted, upgraded) while nodes go on sending: Mosquitto, configured by {@code gk8s mosquitto-config},
 * keeps every QoS 1 message for the hub's persistent session on its plain subscription and hands them all over when
 * the hub is back. Mosquitto's own default keeps 1,000 per client and drops the rest after acknowledging them to the
 * node; a site's backlog after a hub restart is larger than that for a fleet of any size. Run with Mosquitto's
 * persistence off and on (Debian's default; the store saved every second); it prints how long the node's events took
 * to be acknowledged and handed over (a figure for docs/operations.md, not a check).
 */
class MosquittoHubAwayTest {

    private static final int SENT = 10_000;
    private final List<Mqtt5AsyncClient> clients = new ArrayList<>();
    private GeneratedMosquitto broker;

    @AfterEach
    void stop() throws Exception {
        clients.stream().filter(c -> c.getState().isConnected()).forEach(Mqtt5AsyncClient::disconnect);
        if (broker != null) {
            broker.close();
        }
    }

    @ParameterizedTest(name = "persistence {0}")
    @ValueSource(booleans = {false, true})
    void everythingANodeSentWhileTheHubWasAwayIsHandedToItWhenItReturns(boolean persistence) throws Exception {
        assumeTrue(GeneratedMosquitto.available(), "Debian's mosquitto is not installed: this test did not run");
        TestPki pki = new TestPki("gk8s hub-away test CA");
        broker = new GeneratedMosquitto(pki, TestPki.pem("CERTIFICATE", pki.ca.cert().getEncoded()), List.of("s1/a"),
                List.of(), persistence);
        Set<String> got = ConcurrentHashMap.newKeySet();
        Mqtt5AsyncClient hub = hub(pki, got);
        hub.subscribeWith().topicFilter("gk8s/v1/up/#").qos(MqttQos.AT_LEAST_ONCE).send().get(10, TimeUnit.SECONDS);
        hub.disconnect().get(10, TimeUnit.SECONDS); // the session stays: expiry 300 s, as the hub asks for 5 min

        Mqtt5AsyncClient node = Mqtt5Client.builder().identifier("gk8s-s1-a").serverHost("127.0.0.1")
                .serverPort(broker.nodePort).sslConfig().trustManagerFactory(pki.trust())
                .keyManagerFactory(pki.issue("s1/a", false).keyManagers(pki.ca.cert())).applySslConfig().buildAsync();
        node.connect().get(10, TimeUnit.SECONDS);
        clients.add(node);
        long t0 = System.nanoTime();
        List<CompletableFuture<?>> acked = new ArrayList<>();
        for (int i = 1; i <= SENT; i++) {
            acked.add(node.publishWith().topic("gk8s/v1/up/s1/a/event").qos(MqttQos.AT_LEAST_ONCE)
                    .payload(("e-" + i).getBytes(StandardCharsets.UTF_8)).send());
        }
        CompletableFuture.allOf(acked.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        long queuedMs = (System.nanoTime() - t0) / 1_000_000;

        long t1 = System.nanoTime();
        hub(pki, got); // the hub is back: same client id, clean start off
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(50)).untilAsserted(() ->
                assertEquals(SENT, got.size(), "acknowledged events handed to the hub"));
        System.out.printf("mosquitto (persistence %s, saved every second): %d events acknowledged while the hub"
                + " was away in %d ms, handed over in %d ms%n", persistence, SENT, queuedMs,
                (System.nanoTime() - t1) / 1_000_000);
    }

    /** The hub's connection as {@code IngestClient} makes it: its listener and password, a persistent session. */
    private Mqtt5AsyncClient hub(TestPki pki, Set<String> got) throws Exception {
        Mqtt5AsyncClient c = Mqtt5Client.builder().identifier("gk8s-hub-1").serverHost("127.0.0.1")
                .serverPort(broker.hubPort).sslConfig().trustManagerFactory(pki.trust()).applySslConfig()
                .simpleAuth().username(MosquittoConfig.HUB_USER)
                .password(broker.hubSecret.getBytes(StandardCharsets.UTF_8)).applySimpleAuth().buildAsync();
        c.publishes(MqttGlobalPublishFilter.ALL, p -> got.add(StandardCharsets.UTF_8.decode(p.getPayload()
                .orElseThrow()).toString()));
        c.connectWith().cleanStart(false).sessionExpiryInterval(300).send().get(10, TimeUnit.SECONDS);
        clients.add(c);
        return c;
    }
}
