package io.geminik8s.hub.witness;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.geminik8s.agent.Agent;
import io.geminik8s.agent.config.AgentConfig;
import io.geminik8s.agent.config.ConfigLoader;
import io.geminik8s.agent.ha.HaNode;
import io.geminik8s.embedded.FreePort;
import io.geminik8s.hub.HubInfrastructure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The agents of one test site with HA on (real PostgreSQL on loopback, each node's VIP in a network namespace of its
 * own, the UDP peer link, {@link PairTestLease}'s lease), against the test hub; everything started is closed by
 * {@link #close()}.
 */
public final class PairNodes implements AutoCloseable {

    public record Node(Agent agent, HaNode ha, AgentConfig config) {
    }

    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<String> namespaces = new ArrayList<>();
    private final String site;
    public final Path root;
    private final Map<String, Integer> ports;

    public PairNodes(String site) throws Exception {
        this.site = site;
        this.root = Files.createTempDirectory("gk8s-pair");
        new ProcessBuilder("chown", "postgres:", root.toString()).start().waitFor();
        this.ports = Map.of("a-udp", FreePort.find(), "b-udp", FreePort.find(), "a-pg", FreePort.find(),
                "b-pg", FreePort.find());
    }

    /** Node {@code node} of the site (its namespace made once), started as {@code role}, with {@code extraEnv}. */
    Node start(String node, String role, Map<String, String> extraEnv) throws Exception {
        return start(node, role, extraEnv, (agent, ha) -> { });
    }

    /** As {@link #start(String, String, Map)}, with {@code wire} called before the agent and HA start. */
    public Node start(String node, String role, Map<String, String> extraEnv,
                      java.util.function.BiConsumer<Agent, HaNode> wire) throws Exception {
        Map<String, String> env = env(node, role, extraEnv);
        AgentConfig config = ConfigLoader.load(null, env);
        Agent agent = new Agent(config, Clock.systemUTC());
        HaNode ha = new HaNode(site, node, config.ha(), agent.witness(), config.stateDir(), agent::event);
        wire.accept(agent, ha);
        agent.start();
        await().atMost(Duration.ofSeconds(10)).until(agent::connected);
        open.add(agent);
        open.add(ha);
        ha.start();
        return new Node(agent, ha, config);
    }

    /**
     * The settings of node {@code node} of the site as {@code role}, with {@code extraEnv} (its VIP's namespace made
     * once): as environment variables, for an agent in this JVM or in a process of its own.
     */
    public Map<String, String> env(String node, String role, Map<String, String> extraEnv) throws Exception {
        String peer = node.equals("a") ? "b" : "a";
        String ns = "gk8s-pair-" + node + "-" + ProcessHandle.current().pid();
        if (!namespaces.contains(ns)) {
            namespace(ns);
        }
        Map<String, String> env = new HashMap<>(Map.of("GK8S_AGENT_SITE", site, "GK8S_AGENT_NODE", node,
                "GK8S_AGENT_BROKER_URL", "tcp://127.0.0.1:" + HubInfrastructure.mqttPort,
                "GK8S_AGENT_BROKER_ALLOW_PLAINTEXT", "true", "GK8S_AGENT_STATE_DIR", root.resolve(node + "-state").toString(),
                "GK8S_AGENT_HA_ENABLED", "true", "GK8S_AGENT_HA_PEER_NODE", peer,
                "GK8S_AGENT_HA_LISTEN", "127.0.0.1:" + ports.get(node + "-udp"),
                "GK8S_AGENT_HA_PEER_ADDRESS", "127.0.0.1:" + ports.get(peer + "-udp")));
        env.putAll(Map.of("GK8S_AGENT_HA_INITIAL_ROLE", role, "GK8S_AGENT_HA_LEASE_MS", PairTestLease.LEASE_MS,
                "GK8S_AGENT_HA_PEER_SILENCE_MS", PairTestLease.PEER_SILENCE_MS, "GK8S_AGENT_HA_HEARTBEAT_MS", "100",
                "GK8S_AGENT_HA_HUB_RETRY_MS", "100", "GK8S_AGENT_PG_DATA", root.resolve(node).toString(),
                "GK8S_AGENT_PG_HOST", "127.0.0.1", "GK8S_AGENT_PG_PORT", ports.get(node + "-pg").toString(),
                "GK8S_AGENT_PG_PEER_HOST", "127.0.0.1"));
        env.putAll(Map.of("GK8S_AGENT_PG_PEER_PORT", ports.get(peer + "-pg").toString(),
                "GK8S_AGENT_VIP_ADDRESS", "192.0.2.10/24", "GK8S_AGENT_VIP_DEVICE", "vip0", "GK8S_AGENT_VIP_NETNS", ns,
                "GK8S_AGENT_K3S_UNIT", "none", "GK8S_AGENT_HA_PEER_KEY_FILE", secret("peer-key").toString(),
                "GK8S_AGENT_PG_SECRET_FILE", secret("pg-secret").toString(),
                "GK8S_AGENT_PG_CLIENT_NETWORK", "127.0.0.0/8"));
        env.putAll(extraEnv);
        return env;
    }

    public String site() {
        return site;
    }

    /**
     * Waits until the test hub counts site {@code site}'s standby sync-eligible (its witness view), which it needs
     * before it promotes that standby.
     */
    public static void awaitStandbyEligible(String site, Duration within) {
        await().atMost(within).until(() -> Boolean.TRUE.equals(io.restassured.RestAssured.given()
                .get("/api/v1/sites/" + site + "/witness").then().extract().path("standbyEligible")));
    }

    /** The VIP's namespace of {@code node}, for a VipControl. */
    String namespaceOf(String node) {
        return "gk8s-pair-" + node + "-" + ProcessHandle.current().pid();
    }

    /** Stops a node as a power-off would and forgets it (its state folder stays, for a restart). */
    public void powerOff(Node n) throws Exception {
        n.ha().close();
        n.agent().close();
        open.remove(n.ha());
        open.remove(n.agent());
    }

    private void namespace(String ns) throws Exception {
        assertEquals(0, new ProcessBuilder("ip", "netns", "add", ns).start().waitFor());
        namespaces.add(ns);
        assertEquals(0, new ProcessBuilder("ip", "netns", "exec", ns, "ip", "link", "add", "vip0", "type", "veth",
                "peer", "name", "vip1").start().waitFor());
        assertEquals(0, new ProcessBuilder("ip", "netns", "exec", ns, "ip", "link", "set", "vip0", "up").start()
                .waitFor());
    }

    /** A secret both nodes of the site share (enrollment hands them out in production). */
    private Path secret(String name) throws Exception {
        Path p = root.resolve(name);
        if (!Files.exists(p)) {
            Files.writeString(p, UUID.randomUUID() + "-" + UUID.randomUUID());
        }
        return p;
    }

    @Override
    public void close() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        for (String ns : namespaces) {
            new ProcessBuilder("ip", "netns", "del", ns).start().waitFor();
        }
        new ProcessBuilder("rm", "-rf", root.toString()).start().waitFor();
    }
}
