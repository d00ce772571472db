package io.geminik8s.agent.link;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import io.geminik8s.agent.config.AgentConfig;
import io.geminik8s.agent.config.ConfigLoader;
import io.geminik8s.embedded.EmbeddedBroker;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's MQTT link against a real broker (HiveMQ CE in this JVM) and against one that misbehaves on purpose. */
class LinkTest {

    @TempDir
    Path dir;
    private final List<AutoCloseable> closing = new ArrayList<>();
    private final List<String> messages = new CopyOnWriteArrayList<>();
    private final List<Long> sessions = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    private Link link(int port, String... extra) {
        Map<String, String> env = new HashMap<>(Map.of("GK8S_AGENT_SITE", "s1", "GK8S_AGENT_NODE", "n1",
                "GK8S_AGENT_BROKER_URL", "tcp://127.0.0.1:" + port, "GK8S_AGENT_BROKER_ALLOW_PLAINTEXT", "true",
                "GK8S_AGENT_STATE_DIR", dir.resolve("state").toString(),
                "GK8S_AGENT_BACKOFF_INITIAL_MS", "100", "GK8S_AGENT_BACKOFF_MAX_MS", "200"));
        for (int i = 0; i < extra.length; i += 2) {
            env.put(extra[i], extra[i + 1]);
        }
        AgentConfig config = ConfigLoader.load(null, env);
        var callbacks = Executors.newSingleThreadExecutor();
        Link link = new Link(config, new Backoff(config.backoffInitial(), config.backoffMax()), new Link.Listener() {
            @Override
            public void onConnected(long session) {
                sessions.add(session);
            }

            @Override
            public void onMessage(String topic, byte[] payload) {
                messages.add(topic + "=" + new String(payload, StandardCharsets.UTF_8));
            }
        }, s -> new Link.Will("gk8s/v1/s1/n1/status", ("gone " + s).getBytes(StandardCharsets.UTF_8)),
                List.of("gk8s/v1/s1/n1/down/#"), callbacks, 1000);
        closing.add(callbacks::shutdownNow);
        closing.add(link::stop);
        return link;
    }

    /** The link's next connection to {@code fake}, answered with {@code connack}, once the link counts it up. */
    private static Socket connected(FakeBroker fake, Link link, String connack) throws java.io.IOException {
        Socket s = fake.accept(5_000);
        FakeBroker.send(s, connack);
        await().atMost(Duration.ofSeconds(5)).until(link::connected);
        return s;
    }

    @Test
    void manyQos1PublishesAtOnceAllArriveAndCompleteWithinTheBrokersReceiveMaximum() {
        EmbeddedBroker broker = new EmbeddedBroker(dir.resolve("broker"), 0, false, null).start();
        closing.add(broker);
        Set<String> seen = ConcurrentHashMap.newKeySet();
        Mqtt5BlockingClient hub = Mqtt5Client.builder().identifier("hub").serverHost("127.0.0.1")
                .serverPort(broker.port()).buildBlocking();
        hub.connect();
        closing.add(hub::disconnect);
        hub.toAsync().publishes(MqttGlobalPublishFilter.ALL, p -> seen.add(new String(p.getPayloadAsBytes(),
                StandardCharsets.UTF_8)));
        hub.subscribeWith().topicFilter("gk8s/v1/s1/n1/event").qos(MqttQos.AT_LEAST_ONCE).send();

        Link link = link(broker.port());
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (int i = 0; i < 500; i++) { // made before the connection exists: they wait for it
            sent.add(link.publish("gk8s/v1/s1/n1/event", ("e" + i).getBytes(StandardCharsets.UTF_8), 1, false));
        }
        link.start();
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).orTimeout(20, TimeUnit.SECONDS).join();
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 500);

        // a command to the node arrives, and a second one published while it is connected too
        hub.publishWith().topic("gk8s/v1/s1/n1/down/command").payload("c1".getBytes()).qos(MqttQos.AT_LEAST_ONCE)
                .send();
        await().atMost(Duration.ofSeconds(10)).until(() -> messages.contains("gk8s/v1/s1/n1/down/command=c1"));
        assertEquals(1, sessions.size());
        assertEquals(1001, sessions.get(0));
    }

    @Test
    void aBrokerSendingMoreThanTheAnnouncedPacketSizeOrAnAuthIsLeftAndTheLinkComesBack() throws Exception {
        try (FakeBroker fake = new FakeBroker()) {
            Link link = link(fake.port());
            link.start();
            Socket first = connected(fake, link, "20 03 00 00 00");
            FakeBroker.send(first, "30 ff ff ff 7f"); // a PUBLISH of 256 MiB announced
            Socket second = fake.accept(5_000);
            assertTrue(FakeBroker.closedByAgent(first), "the agent closed the first connection");
            FakeBroker.send(second, "20 03 00 00 00");
            await().atMost(Duration.ofSeconds(5)).until(() -> sessions.size() == 2);
            FakeBroker.send(second, "f0 00"); // AUTH: never asked for
            assertTrue(fake.connectsWithin(5_000), "reconnected after refusing the AUTH");
            assertTrue(FakeBroker.closedByAgent(second), "the agent closed the second connection");
            assertTrue(messages.isEmpty());
        }
    }

    @Test
    void anUnansweredPingEndsTheConnectionWithinTheKeepalive() throws Exception {
        try (FakeBroker fake = new FakeBroker()) {
            Link link = link(fake.port());
            link.start();
            Socket s = connected(fake, link, "20 06 00 00 03 13 0001");
            long start = System.nanoTime();
            assertEquals(12, FakeBroker.next(s, 12).type(), "a PINGREQ after a second of silence");
            // never answered: the link gives up the connection and comes back on a new one
            assertTrue(fake.connectsWithin(5_000));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(ms < 4_000, "gave up a silent connection after " + ms + " ms");
        }
    }

    @Test
    void aQos1PublishUnansweredWhenTheConnectionDiesGoesAgainWithDupAndCompletesOnItsPuback() throws Exception {
        try (FakeBroker fake = new FakeBroker()) {
            Link link = link(fake.port());
            link.start();
            Socket first = connected(fake, link, "20 03 00 00 00");
            CompletableFuture<Void> sent = link.publish("gk8s/v1/s1/n1/event", "x".getBytes(), 1, false);
            FakeBroker.Packet original = FakeBroker.next(first, 3);
            assertEquals(0x02, original.flags(), "QoS 1, no DUP");
            first.close(); // the connection dies before the PUBACK
            Socket second = fake.accept(5_000);
            FakeBroker.send(second, "20 03 01 00 00"); // session present
            FakeBroker.Packet again = FakeBroker.next(second, 3);
            assertEquals(0x0A, again.flags(), "QoS 1 with DUP");
            assertEquals(original.packetId(), again.packetId());
            assertFalse(sent.isDone());
            FakeBroker.send(second, String.format("40 02 %04x", again.packetId()));
            sent.get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aTopicPublishedTwiceGetsAnAliasThatDoesNotOutliveItsConnection() throws Exception {
        try (FakeBroker fake = new FakeBroker()) {
            Link link = link(fake.port());
            link.start();
            Socket first = connected(fake, link, "20 06 00 00 03 22 0001");
            String health = "gk8s/v1/s1/n1/health";
            List<String> seen = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                link.publish(health, new byte[] {(byte) i}, 0, false).get(5, TimeUnit.SECONDS);
                seen.add(FakeBroker.describePublish(FakeBroker.next(first, 3)));
            }
            link.publish("gk8s/v1/s1/n1/event", new byte[] {9}, 0, false).get(5, TimeUnit.SECONDS);
            link.publish("gk8s/v1/s1/n1/event", new byte[] {9}, 0, false).get(5, TimeUnit.SECONDS);
            seen.add(FakeBroker.describePublish(FakeBroker.next(first, 3)));
            seen.add(FakeBroker.describePublish(FakeBroker.next(first, 3)));
            assertEquals(List.of(health + " alias 0", health + " alias 1", " alias 1",
                    "gk8s/v1/s1/n1/event alias 0", "gk8s/v1/s1/n1/event alias 0"), seen, "one alias allowed");

            CompletableFuture<Void> inFlight = link.publish(health, new byte[] {3}, 1, false);
            assertEquals(" alias 1", FakeBroker.describePublish(FakeBroker.next(first, 3)));
            first.close();
            Socket second = fake.accept(5_000);
            FakeBroker.send(second, "20 06 01 00 03 22 0001");
            FakeBroker.Packet again = FakeBroker.next(second, 3);
            assertEquals(health + " alias 0", FakeBroker.describePublish(again), "a new connection knows no alias");
            FakeBroker.send(second, String.format("40 02 %04x", again.packetId()));
            inFlight.get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void whatTheBrokerSaidItRefusesIsNotSentAndFailsAlone() throws Exception {
        try (FakeBroker fake = new FakeBroker()) {
            Link link = link(fake.port());
            CompletableFuture<Void> unencodable = link.publish("t/" + "x".repeat(70_000), new byte[1], 1, false);
            assertTrue(unencodable.isCompletedExceptionally(), "a topic MQTT cannot carry fails at once");
            link.start();
            Socket s = fake.accept(5_000);
            FakeBroker.send(s, "20 0c 00 00 09 27 00000040 25 00 24 00"); // 64-byte packets, no retain, QoS 0
            await().atMost(Duration.ofSeconds(5)).until(() -> sessions.size() == 1);
            var tooBig = link.publish("gk8s/v1/s1/n1/event", new byte[200], 0, false);
            var retained = link.publish("gk8s/v1/s1/n1/status", new byte[1], 0, true);
            var qos1 = link.publish("gk8s/v1/s1/n1/event", new byte[1], 1, false);
            var fine = link.publish("gk8s/v1/s1/n1/event", new byte[1], 0, false);
            fine.get(5, TimeUnit.SECONDS);
            for (var refused : List.of(tooBig, retained, qos1)) {
                ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                        () -> refused.get(5, TimeUnit.SECONDS));
                assertTrue(e.getCause().getMessage().startsWith("publish refused: "), e.getCause().getMessage());
            }
            FakeBroker.Packet only = FakeBroker.next(s, 3);
            assertEquals(1 + 2 + 19 + 1, only.body().length, "the one acceptable PUBLISH came, nothing before it");
            assertTrue(link.connected());
        }
    }

    @Test
    void unansweredPublishesGoAgainWithinTheNewWindowAndAsNewWhenTheSessionIsGone() throws Exception {
        try (FakeBroker fake = new FakeBroker()) {
            Link link = link(fake.port());
            link.start();
            Socket first = connected(fake, link, "20 03 00 00 00");
            for (int i = 0; i < 5; i++) {
                link.publish("gk8s/v1/s1/n1/event", new byte[] {(byte) i}, 1, false);
            }
            for (int i = 0; i < 5; i++) {
                FakeBroker.next(first, 3);
            }
            first.close();
            Socket second = fake.accept(5_000);
            FakeBroker.send(second, "20 06 01 00 03 21 0001"); // session present, Receive Maximum 1
            FakeBroker.Packet dup = FakeBroker.next(second, 3);
            assertEquals(0x0A, dup.flags(), "the first goes again with DUP");
            second.setSoTimeout(500);
            org.junit.jupiter.api.Assertions.assertThrows(java.net.SocketTimeoutException.class,
                    () -> FakeBroker.next(second, 3), "nothing more while the window of 1 is full");
            second.setSoTimeout(5_000);
            FakeBroker.send(second, String.format("40 02 %04x", dup.packetId()));
            assertEquals(0x02, FakeBroker.next(second, 3).flags(), "the next one, new (no DUP), after the PUBACK");
            second.close();
            Socket third = fake.accept(5_000);
            FakeBroker.send(third, "20 03 00 00 00"); // the broker lost the session
            for (int i = 0; i < 4; i++) {
                assertEquals(0x02, FakeBroker.next(third, 3).flags(), "publish " + i + " as new, no DUP");
            }
        }
    }

    @Test
    void aBrokerThatAcceptsAndKicksAtOnceIsRetriedWithTheBackoffGrowing() throws Exception {
        try (FakeBroker fake = new FakeBroker()) {
            Link link = link(fake.port(), "GK8S_AGENT_BACKOFF_INITIAL_MS", "200", "GK8S_AGENT_BACKOFF_MAX_MS",
                    "60000");
            link.start();
            long end = System.currentTimeMillis() + 4_000;
            int connects = 0;
            while (System.currentTimeMillis() < end) {
                Socket s;
                try {
                    s = fake.accept((int) Math.max(1, end - System.currentTimeMillis()));
                } catch (java.net.SocketTimeoutException e) {
                    break;
                }
                connects++;
                FakeBroker.send(s, "20 03 00 00 00");
                FakeBroker.send(s, "e0 01 8e"); // DISCONNECT: session taken over (a cloned node, say)
            }
            // 200 ms doubling with full jitter: about five attempts in 4 s (more than 10: ~1e-4); without it, 33
            assertTrue(connects >= 2 && connects <= 10, "connects in 4 s: " + connects);
        }
    }

    @Test
    void aRefusedPublishFailsWithTheBrokersReasonAndARefusedConnectIsRetried() throws Exception {
        try (FakeBroker fake = new FakeBroker()) {
            Link link = link(fake.port());
            link.start();
            Socket refused = fake.accept(5_000);
            FakeBroker.send(refused, "20 03 00 87 00"); // not authorized
            Socket s = fake.accept(5_000); // tried again after the backoff
            assertTrue(FakeBroker.closedByAgent(refused), "the refused connection was closed");
            FakeBroker.send(s, "20 03 00 00 00");
            await().atMost(Duration.ofSeconds(5)).until(link::connected);
            CompletableFuture<Void> sent = link.publish("gk8s/v1/s1/n2/event", "x".getBytes(), 1, false);
            FakeBroker.Packet p = FakeBroker.next(s, 3);
            FakeBroker.send(s, String.format("40 03 %04x 87", p.packetId()));
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> sent.get(5, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().contains("publish refused: reason 0x87"), e.getCause().getMessage());
            assertTrue(link.connected(), "a refused publish does not end the connection");
        }
    }
}
