package io.geminik8s.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.embedded.EmbeddedBroker;
import io.geminik8s.protocol.Birth;
import io.geminik8s.protocol.Health;
import io.geminik8s.protocol.HealthDelta;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Protocol 1.4's short samples and the QoS 1 sample that proves the connection, against a real broker. */
class AgentHealthWireTest {

    @TempDir
    Path dir;
    private EmbeddedBroker broker;
    private Agent agent;
    private TestClient hub;
    private SilencingProxy proxy;

    @AfterEach
    void tearDown() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (hub != null) {
            hub.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void aConnectionSendsOneCompleteSampleThenDeltasThatFillInToCompleteOnes() {
        broker = new EmbeddedBroker(dir.resolve("broker"), 0, false, null).start();
        hub = new TestClient(broker.port(), "test-hub", false);
        agent = new Agent(AgentLinkTest.config(dir.resolve("agent"), broker.port(), Map.of()), Clock.systemUTC());
        agent.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> hub.all(Health.class).size() >= 12);
        List<Health> samples = hub.all(Health.class);
        Health first = samples.get(0);
        assertEquals("1.4", first.v());
        assertNotNull(first.session(), "a connection's first sample is complete");
        assertTrue(first.memTotalBytes() > 0 && first.diskTotalBytes() > 0);
        Health stored = first;
        int complete = 1;
        for (Health h : samples.subList(1, samples.size())) {
            if (HealthDelta.isDelta(h)) {
                assertNull(h.memTotalBytes(), "a delta leaves out what stays put");
                assertNotNull(h.memUsedBytes(), "and sends what moves");
                stored = HealthDelta.over(h, stored);
                assertEquals(first.session(), stored.session());
                assertEquals(first.memTotalBytes(), stored.memTotalBytes());
            } else {
                complete++;
                assertEquals(first.session(), h.session());
                stored = h;
            }
            assertEquals(h.sample(), stored.sample());
        }
        assertTrue(complete >= 2 && complete <= 3, complete + " complete samples among " + samples.size()
                + ": the first and every 10th");
    }

    @Test
    void aConnectionThatStoppedAnsweringIsDroppedWhenItsQos1SampleGetsNoPuback() throws Exception {
        broker = new EmbeddedBroker(dir.resolve("broker"), 0, false, null).start();
        hub = new TestClient(broker.port(), "test-hub", false);
        proxy = new SilencingProxy(broker.port());
        ConcurrentLinkedQueue<String> warnings = new ConcurrentLinkedQueue<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                warnings.add(String.valueOf(r.getMessage()));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger link = Logger.getLogger(io.geminik8s.agent.link.Link.class.getName());
        link.addHandler(handler);
        try {
            // keepalive 10 s, health every 1 s: every 9th sample at QoS 1, its PUBACK awaited 5 s — dropped at most
            // 9 + 5 s after the silence; the client itself would ping 10 s after its last read (that PUBACK) and give
            // up 10 s later
            agent = new Agent(AgentLinkTest.config(dir.resolve("agent"), proxy.port(),
                    Map.of("GK8S_AGENT_MQTT_KEEPALIVE_S", "10")), Clock.systemUTC());
            agent.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> hub.all(Birth.class).size() == 1);
            long firstSession = hub.all(Birth.class).get(0).session();
            proxy.silence();
            long silenced = System.nanoTime();
            await().atMost(Duration.ofSeconds(30)).until(() -> hub.all(Birth.class).stream()
                    .anyMatch(b -> b.session() > firstSession));
            long s = Duration.ofNanos(System.nanoTime() - silenced).toSeconds();
            assertTrue(s <= 17, "back on a new connection " + s + " s after the old one went silent");
            assertTrue(warnings.stream().anyMatch(w -> w.contains("no PUBACK for a health sample")), warnings.toString());
        } finally {
            link.removeHandler(handler);
        }
    }
}
