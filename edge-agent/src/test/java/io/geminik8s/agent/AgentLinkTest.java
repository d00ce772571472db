package io.geminik8s.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.config.AgentConfig;
import io.geminik8s.agent.config.ConfigLoader;
import io.geminik8s.embedded.EmbeddedBroker;
import io.geminik8s.protocol.Birth;
import io.geminik8s.protocol.Command;
import io.geminik8s.protocol.CommandResult;
import io.geminik8s.protocol.Event;
import io.geminik8s.protocol.Golden;
import io.geminik8s.protocol.Kind;
import io.geminik8s.protocol.Topics;
import io.geminik8s.protocol.Health;
import io.geminik8s.protocol.Severity;
import io.geminik8s.protocol.Status;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent against a real MQTT broker (HiveMQ CE in this JVM). */
class AgentLinkTest {

    @TempDir
    Path dir;
    private EmbeddedBroker broker;
    private Agent agent;
    private TestClient hub;

    @AfterEach
    void tearDown() {
        if (agent != null) {
            agent.close();
        }
        if (hub != null) {
            hub.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    static AgentConfig config(Path state, int port, Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(Map.of("GK8S_AGENT_SITE", "store-1", "GK8S_AGENT_NODE", "a",
                "GK8S_AGENT_BROKER_URL", "tcp://127.0.0.1:" + port, "GK8S_AGENT_BROKER_ALLOW_PLAINTEXT", "true",
                "GK8S_AGENT_STATE_DIR", state.toString(), "GK8S_AGENT_HEALTH_INTERVAL_S", "1",
                "GK8S_AGENT_BACKOFF_INITIAL_MS", "100", "GK8S_AGENT_BACKOFF_MAX_MS", "1000",
                "GK8S_AGENT_LABELS", "region=eu"));
        env.putAll(extra);
        return ConfigLoader.load(null, env);
    }

    @Test
    void phonesHomeAndAnswersCommandsAtMostOnceAndNeverAfterExpiry() {
        broker = new EmbeddedBroker(dir.resolve("broker"), 0, false, null).start();
        hub = new TestClient(broker.port(), "test-hub", false);
        agent = new Agent(config(dir.resolve("agent"), broker.port(), Map.of()), Clock.systemUTC());
        agent.start();

        await().atMost(Duration.ofSeconds(10)).until(() -> !hub.all(Birth.class).isEmpty()
                && !hub.all(Health.class).isEmpty());
        Birth birth = hub.all(Birth.class).get(0);
        assertEquals(Map.of("region", "eu"), birth.labels());
        assertTrue(birth.session() > 0);
        Health health = hub.all(Health.class).get(0);
        assertTrue(health.memTotalBytes() > 0 && health.uptimeS() > 0 && health.diskTotalBytes() > 0);
        await().atMost(Duration.ofSeconds(10)).until(() -> hub.all(Health.class).stream()
                .anyMatch(h -> h.cpuPct() != null));
        assertTrue(hub.all(Status.class).stream().anyMatch(Status::online));

        long now = System.currentTimeMillis();
        hub.publish(new Command("1.0", "c-1", "store-1", "a", "ping", Map.of(), now, now + 60_000));
        hub.publish(new Command("1.0", "c-1", "store-1", "a", "ping", Map.of(), now, now + 60_000));
        hub.publish(new Command("1.0", "c-2", "store-1", "a", "ping", Map.of(), now - 120_000, now - 60_000));
        hub.publish(new Command("1.0", "c-3", "store-1", "a", "reboot-everything", Map.of(), now, now + 60_000));
        await().atMost(Duration.ofSeconds(10)).until(() -> hub.all(CommandResult.class).size() >= 4);
        Map<String, Set<CommandResult.Outcome>> outcomes = hub.all(CommandResult.class).stream().collect(
                Collectors.groupingBy(CommandResult::id, Collectors.mapping(CommandResult::outcome, Collectors.toSet())));
        assertEquals(Set.of(CommandResult.Outcome.OK), outcomes.get("c-1"));
        assertEquals(Set.of(CommandResult.Outcome.EXPIRED), outcomes.get("c-2"));
        assertEquals(Set.of(CommandResult.Outcome.UNSUPPORTED), outcomes.get("c-3"));
    }

    @Test
    void eventsProducedWhileTheBrokerIsDownArriveAfterItReturnsAndNoneIsLost() {
        broker = new EmbeddedBroker(dir.resolve("broker"), 0, true, null).start();
        hub = new TestClient(broker.port(), "test-hub", true); // persistent session: the broker queues for it
        agent = new Agent(config(dir.resolve("agent"), broker.port(), Map.of()), Clock.systemUTC());
        long first = agent.eventLog().journal().lastSeq() + 1; // a fresh journal numbers from the clock
        agent.start();
        for (int i = 0; i < 10; i++) {
            agent.event("test.before", Severity.INFO, "before " + i, Map.of());
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> agent.eventLog().journal().size() == 0);

        broker.stop();
        await().atMost(Duration.ofSeconds(10)).until(() -> !agent.connected());
        for (int i = 0; i < 30; i++) {
            agent.event("test.during", Severity.WARNING, "during outage " + i, Map.of());
        }
        assertFalse(agent.connected());
        assertEquals(30, agent.eventLog().journal().size(), "journaled while the broker is down");

        broker.start();
        long last = agent.eventLog().journal().lastSeq();
        await().atMost(Duration.ofSeconds(30)).until(() -> seqs().containsAll(range(first, last)));
        await().atMost(Duration.ofSeconds(10)).until(() -> agent.eventLog().journal().size() == 0);
        assertEquals(range(first, last), seqs(), "every event once (duplicates allowed on the wire, none missing)");
    }

    @Test
    void commandsQueuedWhileTheAgentIsAwayArriveWhenItReturns() {
        broker = new EmbeddedBroker(dir.resolve("broker"), 0, false, null).start();
        hub = new TestClient(broker.port(), "test-hub", false);
        AgentConfig config = config(dir.resolve("agent"), broker.port(), Map.of());
        agent = new Agent(config, Clock.systemUTC());
        agent.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> !hub.all(Birth.class).isEmpty());
        agent.close(); // graceful: the broker keeps the session (clean start false, session expiry 1 day)
        agent = null;

        long now = System.currentTimeMillis();
        hub.publish(new Command("1.0", "while-away", "store-1", "a", "ping", Map.of(), now, now + 600_000));
        assertTrue(hub.all(CommandResult.class).isEmpty());

        agent = new Agent(config, Clock.systemUTC());
        agent.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> hub.all(CommandResult.class).stream()
                .anyMatch(r -> r.id().equals("while-away") && r.outcome() == CommandResult.Outcome.OK));
    }

    @Test
    void theGoldenCommandAndDesiredStateAreUnderstood() {
        broker = new EmbeddedBroker(dir.resolve("broker"), 0, false, null).start();
        hub = new TestClient(broker.port(), "test-hub", false);
        // the golden vectors' site is store-0042, node a; the clock sits between the command's issue and expiry
        Command golden = (Command) Golden.expected(Kind.COMMAND);
        agent = new Agent(config(dir.resolve("agent"), broker.port(), Map.of("GK8S_AGENT_SITE", "store-0042")),
                Clock.fixed(Instant.ofEpochMilli(golden.issuedAt() + 1000), ZoneOffset.UTC));
        agent.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> !hub.all(Birth.class).isEmpty());
        hub.raw(Topics.command("store-0042", "a"), Golden.bytes(Golden.V1_0, Kind.COMMAND), false);
        hub.raw(Topics.desired("store-0042"), Golden.bytes(Golden.V1_0, Kind.DESIRED), true);
        await().atMost(Duration.ofSeconds(10)).until(() -> hub.all(CommandResult.class).stream()
                .anyMatch(r -> r.id().equals("cmd-7f3a") && r.outcome() == CommandResult.Outcome.OK)
                && hub.all(Event.class).stream().anyMatch(e -> e.type().equals("desired.applied")
                        && "8".equals(e.attrs().get("generation"))));
    }

    private Set<Long> seqs() {
        return hub.all(Event.class).stream().map(Event::seq).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Set<Long> range(long from, long to) {
        return LongStream.rangeClosed(from, to).boxed().collect(Collectors.toCollection(TreeSet::new));
    }
}
