package io.geminik8s.agent.demo;

import io.geminik8s.agent.Agent;
import io.geminik8s.agent.config.ConfigLoader;
import java.nio.file.Path;
import io.geminik8s.agent.upgrade.StandInK3s;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Demo sites for the README's main job: {@code sites} sites of two real agents each, in one JVM, talking plain
 * MQTT to a broker on loopback. Each agent keeps its own state (journal, desired generation) under {@code state}.
 * A site's pair and its K3s are stand-ins ({@link DemoPair}, {@link StandInK3s}): the sites are healthy and take a
 * rollout's K3s version pair-aware, standby first, then a switchover, as a real site does.
 *
 * <p>Usage: {@code java -cp edge-agent.jar io.geminik8s.agent.demo.DemoFleet SITES BROKER_URL STATE_DIR}
 */
public final class DemoFleet {

    /** What the demo's stand-in K3s runs before any upgrade: the store templates' revision 1. */
    static final String INITIAL_K3S = "v1.31.4+k3s1";
    private static final String[] REGIONS = {"eu-west", "eu-central", "us-east"};

    private DemoFleet() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 3) {
            System.err.println("usage: DemoFleet SITES BROKER_URL STATE_DIR");
            System.exit(2);
        }
        int sites = Integer.parseInt(args[0]);
        List<Agent> agents = new ArrayList<>();
        for (int s = 1; s <= sites; s++) {
            String site = String.format("demo-store-%03d", s);
            DemoPair pair = new DemoPair(1500);
            for (String node : List.of("a", "b")) {
                Path state = Path.of(args[2], site, node);
                Agent agent = new Agent(ConfigLoader.load(null, Map.of(
                        "GK8S_AGENT_SITE", site, "GK8S_AGENT_NODE", node,
                        "GK8S_AGENT_BROKER_URL", args[1], "GK8S_AGENT_BROKER_ALLOW_PLAINTEXT", "true",
                        "GK8S_AGENT_STATE_DIR", state.toString(),
                        "GK8S_AGENT_HEALTH_INTERVAL_S", "10", "GK8S_AGENT_MQTT_KEEPALIVE_S", "10",
                        "GK8S_AGENT_LABELS", "site-kind=store,size=" + (s % 3 == 0 ? "large" : "standard")
                                + ",region=" + REGIONS[s % REGIONS.length])), Clock.systemUTC());
                agent.simulatePostgres(() -> pair.pg(node));
                agent.upgradeWith(new StandInK3s(state, INITIAL_K3S), pair.view(node, node.equals("a") ? "b" : "a"),
                        Duration.ofSeconds(10));
                agents.add(agent);
                agent.start();
            }
        }
        System.out.printf("gk8s demo: %d sites, %d agents started%n", sites, agents.size());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agents.forEach(Agent::close);
            stopped.countDown();
        }));
        stopped.await();
    }
}
