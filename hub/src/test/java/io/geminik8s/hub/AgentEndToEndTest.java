package io.geminik8s.hub;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.Agent;
import io.geminik8s.agent.config.ConfigLoader;
import io.geminik8s.protocol.Kind;
import io.geminik8s.protocol.Topics;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real agents (in this JVM and as separate processes) against the hub, the embedded broker and PostgreSQL. */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class AgentEndToEndTest {

    private static final int KEEPALIVE_S = 2;

    @TempDir
    Path dir;

    static Map<String, String> agentEnv(String site, String node, Path state) {
        Map<String, String> env = new HashMap<>(Map.of("GK8S_AGENT_SITE", site, "GK8S_AGENT_NODE", node,
                "GK8S_AGENT_BROKER_URL", "tcp://127.0.0.1:" + HubInfrastructure.mqttPort,
                "GK8S_AGENT_BROKER_ALLOW_PLAINTEXT", "true", "GK8S_AGENT_STATE_DIR", state.toString(),
                "GK8S_AGENT_HEALTH_INTERVAL_S", "1", "GK8S_AGENT_MQTT_KEEPALIVE_S", Integer.toString(KEEPALIVE_S),
                "GK8S_AGENT_BACKOFF_INITIAL_MS", "200", "GK8S_AGENT_BACKOFF_MAX_MS", "2000"));
        env.put("GK8S_AGENT_LABELS", "suite=e2e");
        env.put("GK8S_AGENT_MQTT_WILL_DELAY_S", "0"); // these tests watch the Last Will itself
        return env;
    }

    static boolean nodeOnline(String site, String node, boolean expected) {
        var r = given().get("/api/v1/sites/" + site).then().extract();
        if (r.statusCode() != 200) {
            return false;
        }
        List<Map<String, Object>> nodes = r.path("nodes");
        return nodes.stream().anyMatch(n -> node.equals(n.get("id")) && Boolean.valueOf(expected).equals(n.get("online")));
    }

    /**
     * A broker restart under a running fleet: with the agent's default Will Delay (60 s) the broker does not publish
     * the Last Will for the few seconds the broker is away, and the node is never shown offline (the issue measured
     * the whole fleet "last-will" within 0.6 s of a broker restart).
     */
    @Test
    void aBrokerRestartIsNoFleetDeath() throws Exception {
        IngestProbe.awaitIngestReady();
        Map<String, String> env = agentEnv("e2e-restart", "a", dir);
        env.remove("GK8S_AGENT_MQTT_WILL_DELAY_S");
        try (Agent agent = new Agent(ConfigLoader.load(null, env), Clock.systemUTC())) {
            agent.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> nodeOnline("e2e-restart", "a", true));
            java.util.concurrent.atomic.AtomicInteger offlineSeen = new java.util.concurrent.atomic.AtomicInteger();
            var watcher = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
            watcher.scheduleAtFixedRate(() -> {
                if (nodeOnline("e2e-restart", "a", false)) {
                    offlineSeen.incrementAndGet();
                }
            }, 0, 100, java.util.concurrent.TimeUnit.MILLISECONDS);
            try {
                HubInfrastructure.stopBroker();
                await().atMost(Duration.ofSeconds(10)).until(() -> !agent.connected());
                // an outage of 12 s, the agent kept out all along: longer than the heartbeat timeout (10 s in the
                // tests), so a sweeper that timed nodes out while ingest was down would show the node offline; and
                // the agent's attempts reach the backoff cap (200 ms doubling to 2 s)
                await().during(Duration.ofSeconds(12)).atMost(Duration.ofSeconds(20)).until(() -> !agent.connected());
                HubInfrastructure.startBroker();
                long back = System.nanoTime();
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(agent::connected);
                long reconnectMs = (System.nanoTime() - back) / 1_000_000;
                System.out.printf("broker back -> agent reconnected in %d ms (backoff cap 2 s, full jitter)%n",
                        reconnectMs);
                assertTrue(reconnectMs <= 2_000 + 3_000, "reconnected " + reconnectMs + " ms after the broker returned");
                await().atMost(Duration.ofSeconds(20)).until(() -> given().get("/q/health/ready").then().extract()
                        .statusCode() == 200);
                long seen = given().get("/api/v1/sites/e2e-restart").then().extract().<Integer>path("nodes.size()");
                assertEquals(1, seen);
                // a health sample after the restart is stored: the watcher covered the whole outage
                String before = given().get("/api/v1/sites/e2e-restart").then().extract().path("nodes[0].healthAt");
                await().atMost(Duration.ofSeconds(10)).until(() -> !java.util.Objects.equals(before, given()
                        .get("/api/v1/sites/e2e-restart").then().extract().path("nodes[0].healthAt")));
            } finally {
                watcher.shutdownNow();
            }
            assertEquals(0, offlineSeen.get(), "polls (every 100 ms) that showed the node offline; reason now: "
                    + given().get("/api/v1/sites/e2e-restart").then().extract().path("nodes[0].offlineReason"));
        }
    }

    @Test
    void anInJvmAgentsSiteAppearsWithinTwoSeconds() {
        IngestProbe.awaitIngestReady();
        try (Agent agent = new Agent(ConfigLoader.load(null, agentEnv("e2e-fast", "a", dir)), Clock.systemUTC())) {
            long t0 = System.nanoTime();
            agent.start();
            await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20))
                    .until(() -> nodeOnline("e2e-fast", "a", true));
            System.out.printf("agent start -> site visible in GET /api/v1/sites: %d ms%n",
                    (System.nanoTime() - t0) / 1_000_000);
            given().queryParam("label", "suite=e2e").get("/api/v1/sites").then().statusCode(200);
            String status = given().get("/api/v1/sites/e2e-fast").then().extract().path("status");
            assertTrue(Set.of("healthy", "degraded").contains(status), status);
        }
    }

    @Test
    void aKilledAgentGoesOfflineAndComesBackWithoutDuplicateEvents() throws Exception {
        IngestProbe.awaitIngestReady();
        Path state = dir.resolve("agent-a");
        Process first = startAgentProcess("e2e-kill", "a", state, dir.resolve("first.log"));
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> nodeOnline("e2e-kill", "a", true));
            first.destroyForcibly(); // SIGKILL: no goodbye, only the broker's Last Will
            long t0 = System.nanoTime();
            first.waitFor(10, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                    .until(() -> nodeOnline("e2e-kill", "a", false));
            long offlineMs = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("kill -9 -> node offline in API: %d ms (keepalive %d s)%n", offlineMs, KEEPALIVE_S);
            // 1.5 x keepalive is the broker's detection bound; the hub adds one flush interval (100 ms here)
            assertTrue(offlineMs <= 1500L * KEEPALIVE_S + 500, "offline after " + offlineMs + " ms");
            assertEquals("last-will", given().get("/api/v1/sites/e2e-kill").then().extract().path("nodes[0].offlineReason"));
        } finally {
            first.destroyForcibly();
        }

        Process second = startAgentProcess("e2e-kill", "a", state, dir.resolve("second.log"));
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> nodeOnline("e2e-kill", "a", true));
            // each start journals an "agent.started" event: two consecutive numbers of one journal (a fresh journal
            // numbers from the wall clock), each stored exactly once
            await().atMost(Duration.ofSeconds(10)).until(() -> seqs("e2e-kill").size() >= 2);
            List<Long> seqs = seqs("e2e-kill");
            assertEquals(seqs.size(), new HashSet<>(seqs).size(), "no duplicate events: " + seqs);
            long lowest = java.util.Collections.min(seqs);
            assertEquals(Set.of(lowest, lowest + 1), new HashSet<>(seqs), "numbered on across the kill: " + seqs);
        } finally {
            second.destroy();
            second.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * The Will Delay itself, against the real broker: an agent killed with {@code mqtt.will-delay-s=3} is announced
     * offline (its Last Will, a retained status) no sooner than three seconds after the broker lost it, and not much
     * later (a broker restart shorter than the delay therefore announces nothing: aBrokerRestartIsNoFleetDeath).
     */
    @Test
    void aDeadAgentsLastWillWaitsForItsWillDelay() throws Exception {
        IngestProbe.awaitIngestReady();
        try (MqttPublisher watcher = new MqttPublisher()) {
            var statuses = watcher.subscribe(Topics.up("e2e-will-delay", "a", Kind.STATUS));
            Process agent = startAgentProcess("e2e-will-delay", "a", dir.resolve("will-delay"),
                    dir.resolve("will-delay.log"), Map.of("GK8S_AGENT_MQTT_WILL_DELAY_S", "3"));
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> nodeOnline("e2e-will-delay", "a", true));
                statuses.clear();
                agent.destroyForcibly(); // SIGKILL: the kernel closes the socket, the broker sees it at once
                long t0 = System.nanoTime();
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> statuses
                        .stream().anyMatch(m -> m instanceof io.geminik8s.protocol.Status st && !st.online()));
                long willMs = (System.nanoTime() - t0) / 1_000_000;
                System.out.printf("kill -9 -> Last Will published after %d ms (Will Delay 3 s)%n", willMs);
                assertTrue(willMs >= 2_900 && willMs <= 5_000, "Last Will after " + willMs + " ms");
            } finally {
                agent.destroyForcibly();
            }
        }
    }

    /**
     * A frozen agent (SIGSTOP) keeps its TCP connection open but sends nothing, like a node that lost power
     * behind a switch: only the MQTT keepalive can notice. The broker closes the connection after 1.5 x keepalive
     * of silence and publishes the Last Will; the hub needs one more flush interval.
     */
    @Test
    void aFrozenAgentIsMarkedOfflineByTheKeepaliveAndReturnsWhenThawed() throws Exception {
        IngestProbe.awaitIngestReady();
        Process agent = startAgentProcess("e2e-frozen", "a", dir.resolve("frozen"), dir.resolve("frozen.log"));
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> nodeOnline("e2e-frozen", "a", true));
            signal("STOP", agent.pid());
            long t0 = System.nanoTime();
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50))
                    .until(() -> nodeOnline("e2e-frozen", "a", false));
            long offlineMs = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("SIGSTOP -> node offline in API: %d ms (keepalive %d s, bound %d ms)%n", offlineMs,
                    KEEPALIVE_S, 1500 * KEEPALIVE_S);
            // the broker's bound plus the hub's flush and a loaded CI machine's margin (3.0-3.2 s measured here)
            assertTrue(offlineMs <= 1500L * KEEPALIVE_S + 1_000, "offline after " + offlineMs + " ms");
            // the keepalive's Last Will, not the hub's heartbeat timeout (10 s in the tests)
            assertEquals("last-will", given().get("/api/v1/sites/e2e-frozen").then().extract()
                    .path("nodes[0].offlineReason"));
            signal("CONT", agent.pid());
            await().atMost(Duration.ofSeconds(30)).until(() -> nodeOnline("e2e-frozen", "a", true));
        } finally {
            signal("CONT", agent.pid());
            agent.destroyForcibly();
        }
    }

    private static void signal(String name, long pid) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + name, Long.toString(pid)).start().waitFor());
    }

    @Test
    void aThousandMalformedPayloadsAreCountedAndIngestGoesOn() {
        IngestProbe.awaitIngestReady();
        double before = metric("gk8s_decode_errors_total");
        try (MqttPublisher mqtt = new MqttPublisher()) {
            for (int i = 0; i < 1000; i++) {
                byte[] junk = switch (i % 4) {
                    case 0 -> ("garbage " + i).getBytes(StandardCharsets.UTF_8);
                    case 1 -> "{\"v\":\"9.0\"}".getBytes(StandardCharsets.UTF_8);
                    case 2 -> "{\"v\":\"1.0\",\"site\":\"x\",\"node\":\"a\",\"ts\":\"soon\"}".getBytes(StandardCharsets.UTF_8);
                    default -> new byte[70_000];
                };
                String topic = i % 10 == 9 ? "gk8s/v1/up/BAD SITE/a/health" : Topics.up("hostile", "a", Kind.HEALTH);
                mqtt.raw(topic, junk, false);
            }
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertEquals(1000.0,
                    metric("gk8s_decode_errors_total") - before, "decode errors counted"));
            assertEquals(1000.0, metric("gk8s_decode_errors_total") - before);
            long now = System.currentTimeMillis();
            mqtt.publish(new io.geminik8s.protocol.Birth("1.0", "after-junk", "a", now * 1000, now, "t", null,
                    io.geminik8s.protocol.Role.PRIMARY, Map.of(), List.of(), Map.of(), 0L));
            await().atMost(Duration.ofSeconds(5)).until(() -> nodeOnline("after-junk", "a", true));
        }
        assertEquals(404, given().get("/api/v1/sites/hostile").then().extract().statusCode(),
                "refused payloads leave no trace in the fleet");
    }

    static List<Long> seqs(String site) {
        List<Number> n = given().get("/api/v1/sites/" + site + "/events").then().extract().path("items.seq");
        return n.stream().map(Number::longValue).toList();
    }

    static double metric(String name) {
        String text = given().get("/q/metrics").then().statusCode(200).extract().asString();
        return text.lines().filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private Process startAgentProcess(String site, String node, Path state, Path log) throws Exception {
        return startAgentProcess(site, node, state, log, Map.of());
    }

    private Process startAgentProcess(String site, String node, Path state, Path log, Map<String, String> overrides)
            throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), "io.geminik8s.agent.Main");
        pb.environment().putAll(agentEnv(site, node, state));
        pb.environment().putAll(overrides);
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        Files.createDirectories(state);
        return pb.start();
    }

}
