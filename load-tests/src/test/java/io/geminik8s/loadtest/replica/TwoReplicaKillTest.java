package io.geminik8s.loadtest.replica;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import io.geminik8s.embedded.EmbeddedDatabase;
import io.geminik8s.loadtest.measure.HubProcess;
import io.geminik8s.loadtest.scenario.Knee;
import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.Event;
import io.geminik8s.protocol.Health;
import io.geminik8s.protocol.Role;
import io.geminik8s.protocol.Severity;
import io.geminik8s.protocol.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Two packaged hub replicas on one Debian Mosquitto 2.0 and one PostgreSQL, each with the subscription
 * docs/operations.md prescribes for Mosquitto (plain {@code gk8s/v1/up/#} on every replica: Mosquitto queues a dead
 * member's share of a shared subscription until it returns). Nodes send QoS 1 events; one replica is {@code kill
 * -9}'d: the other stays ready and stores everything the broker acknowledged, before and after the kill, without
 * waiting for the dead one; the killed replica comes back and nothing is stored twice. Before the kill, both
 * replicas writing the same stream of health samples keep each node's newest by its order key.
 */
class TwoReplicaKillTest {

    private static final Path HUB_JAR = Path.of("../hub/target/quarkus-app/quarkus-run.jar");
    private final Codec codec = new Codec();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    @Test
    void theSurvivorStoresEverythingAcknowledged() throws Exception {
        if (!MosquittoBroker.available() && MosquittoBroker.required()) {
            throw new IllegalStateException(MosquittoBroker.BINARY + " is missing (apt-get install mosquitto)");
        }
        assumeTrue(MosquittoBroker.available(), "Debian's mosquitto is not installed: this test did not run");
        Path work = Files.createTempDirectory("gk8s-replicas");
        String prefix = "rep-" + UUID.randomUUID().toString().substring(0, 8);
        try (MosquittoBroker broker = new MosquittoBroker(work.resolve("mosquitto"));
             EmbeddedDatabase db = EmbeddedDatabase.start(null, false);
             HubProcess one = replica(work, 1, broker, db);
             HubProcess two = replica(work, 2, broker, db);
             Connection sql = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
            one.start(Duration.ofMinutes(3));
            two.start(Duration.ofMinutes(3));
            List<Node> nodes = new ArrayList<>();
            for (String id : List.of("s1/a", "s1/b", "s2/a", "s2/b")) {
                nodes.add(Node.connect(broker, prefix + "-" + id.split("/")[0], id.split("/")[1]));
            }
            healthStaysInOrder(sql, nodes.get(0));

            List<CompletableFuture<?>> sends = new ArrayList<>();
            ScheduledExecutorService pace = Executors.newSingleThreadScheduledExecutor();
            AtomicLong seq = new AtomicLong();
            pace.scheduleAtFixedRate(() -> { // 200 events/s across the four nodes
                long s = seq.incrementAndGet();
                for (Node n : nodes) {
                    synchronized (sends) {
                        sends.add(send(n, s));
                    }
                }
            }, 20, 20, TimeUnit.MILLISECONDS);
            await().atMost(Duration.ofSeconds(30)).until(() -> stored(sql, prefix) >= 200);

            long ackedAtKill = acked.get();
            long killed = System.nanoTime();
            one.kill();
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                    .until(() -> stored(sql, prefix) >= ackedAtKill);
            long caughtUpMs = (System.nanoTime() - killed) / 1_000_000;
            int notReady = 0;
            int samples = 0;
            long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (System.nanoTime() < until) { // five seconds of traffic with one replica, its readiness sampled
                samples++;
                notReady += two.ready() ? 0 : 1;
                Thread.sleep(100);
            }
            pace.shutdown();
            assertTrue(pace.awaitTermination(5, TimeUnit.SECONDS));
            CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            long total = acked.get();
            await().atMost(Duration.ofSeconds(20)).until(() -> stored(sql, prefix) >= total);
            System.out.printf("two replicas on Mosquitto: %d events acknowledged, %d stored; everything acknowledged"
                    + " before the kill stored %d ms after it; survivor not ready in %d of %d samples%n", total,
                    stored(sql, prefix), caughtUpMs, notReady, samples);
            assertEquals(0, failed.get(), "publishes the broker refused");
            assertEquals(total, stored(sql, prefix), "every acknowledged event stored, once");
            assertEquals(0, notReady, "the survivor stayed ready while the other was dead");

            one.start(Duration.ofMinutes(3)); // the killed replica returns: its session's backlog is stored again
            await().atMost(Duration.ofSeconds(20)).until(() -> one.get("/q/health/ready").statusCode() == 200);
            assertEquals(total, stored(sql, prefix), "nothing stored twice after the killed replica came back");
            for (Node n : nodes) {
                n.client().disconnect();
            }
        } finally {
            Knee.deleteTree(work);
        }
    }

    /**
     * Both replicas write every health sample, each when its own flush runs: 300 samples with rising order keys
     * (alternating roles, timestamps that go backwards as a stepped clock's would) sent back to back; the stored
     * order key, polled meanwhile, never goes back, and the newest sample is what stays.
     */
    private void healthStaysInOrder(Connection sql, Node n) throws Exception {
        long session = System.currentTimeMillis() * 1000;
        long t0 = System.currentTimeMillis();
        List<CompletableFuture<?>> sent = new ArrayList<>();
        for (long i = 1; i <= 300; i++) {
            Role role = i % 2 == 0 ? Role.PRIMARY : Role.STANDBY;
            Health h = new Health("1.2", n.site(), n.node(), t0 + (i % 7) * 1000 - i, 1.0, null, null, null, null,
                    null, new Health.Pg(role, 0L, role == Role.STANDBY, null), null, null, session, i);
            sent.add(n.client().publishWith().topic(Topics.topicOf(h)).qos(MqttQos.AT_LEAST_ONCE)
                    .payload(codec.encode(h)).send());
        }
        long[] last = {0};
        int[] wentBack = {0};
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10)).until(() -> {
            long now = storedSample(sql, n);
            wentBack[0] += now < last[0] ? 1 : 0;
            last[0] = Math.max(last[0], now);
            return now == 300;
        });
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        assertEquals(0, wentBack[0], "polls that saw an older sample replace a newer one");
        assertEquals(300, storedSample(sql, n), "the newest sample stays");
    }

    private static long storedSample(Connection sql, Node n) throws java.sql.SQLException {
        try (var q = sql.prepareStatement("SELECT health_sample FROM node WHERE site_id = ? AND node_id = ?")) {
            q.setString(1, n.site());
            q.setString(2, n.node());
            try (ResultSet r = q.executeQuery()) {
                return r.next() ? r.getLong(1) : 0;
            }
        }
    }

    private HubProcess replica(Path work, int instance, MosquittoBroker broker, EmbeddedDatabase db)
            throws java.io.IOException {
        Path data = Files.createDirectories(work.resolve("replica-" + instance).resolve("data"));
        return new HubProcess(HUB_JAR, data, List.of("-Xmx256m"), Map.of("gk8s.embedded", "false",
                "gk8s.hub.instance", Integer.toString(instance),
                "quarkus.datasource.reactive.url", db.reactiveUrl(), "quarkus.datasource.jdbc.url", db.jdbcUrl(),
                "quarkus.datasource.username", db.user(), "quarkus.datasource.password", db.password(),
                "gk8s.mqtt.host", "127.0.0.1", "gk8s.mqtt.port", Integer.toString(broker.port()),
                "gk8s.mqtt.subscription", "gk8s/v1/up/#"));
    }

    /** A node's connection: persistent session, QoS 1; the client resends what the broker did not acknowledge. */
    private record Node(Mqtt5AsyncClient client, String site, String node) {
        static Node connect(MosquittoBroker broker, String site, String node) throws Exception {
            Mqtt5AsyncClient c = Mqtt5Client.builder().identifier("gk8s-" + site + "-" + node)
                    .serverHost("127.0.0.1").serverPort(broker.port()).automaticReconnectWithDefaultConfig()
                    .buildAsync();
            c.connectWith().cleanStart(false).sessionExpiryInterval(600).send().get(10, TimeUnit.SECONDS);
            return new Node(c, site, node);
        }
    }

    private CompletableFuture<?> send(Node n, long seq) {
        Event e = new Event("1.0", n.site(), n.node(), seq, System.currentTimeMillis(), "test.tick", Severity.INFO, "t",
                Map.of());
        return n.client().publishWith().topic(Topics.topicOf(e)).qos(MqttQos.AT_LEAST_ONCE).payload(codec.encode(e)).send()
                .whenComplete((ok, error) -> (error == null ? acked : failed).incrementAndGet());
    }

    private static long stored(Connection sql, String prefix) throws java.sql.SQLException {
        try (var q = sql.prepareStatement("SELECT count(*) FROM node_event WHERE site_id LIKE ?")) {
            q.setString(1, prefix + "-%");
            try (ResultSet r = q.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }
    }
}
