package io.geminik8s.hub.backup;

import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.agent.pg.PgSecret;
import io.geminik8s.hub.witness.PairNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A site's agents as processes of their own ({@code io.geminik8s.agent.Main}, wired as on a node: backups from the
 * hub's desired state), with the settings of {@link PairNodes}; {@link #powerCut} kills an agent and everything it
 * started (PostgreSQL, the watchdog) with SIGKILL at once. Everything started is killed by {@link #close()}.
 */
final class AgentProcesses implements AutoCloseable {

    private final PairNodes pair;
    private final Map<String, String> extra;
    private final Map<String, Process> running = new HashMap<>();
    private final List<Process> all = new ArrayList<>();
    private int started;

    /** {@code extra}: settings for every agent on top of the pair's. */
    AgentProcesses(PairNodes pair, Map<String, String> extra) {
        this.pair = pair;
        this.extra = extra;
    }

    /** Starts node {@code node} as {@code role}; its output in {@code <root>/<node>-<n>.log}. */
    Process start(String node, String role) throws Exception {
        Map<String, String> env = new HashMap<>(extra);
        env.put("GK8S_AGENT_PG_SOCKET_DIR", pair.root.resolve(node + ".sock").toString());
        env = pair.env(node, role, env);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx96m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), "io.geminik8s.agent.Main");
        pb.environment().putAll(env);
        pb.redirectErrorStream(true).redirectOutput(log(node, ++started).toFile());
        Process p = pb.start();
        running.put(node, p);
        all.add(p);
        return p;
    }

    Path log(String node, int n) {
        return pair.root.resolve(node + "-" + n + ".log");
    }

    /** The agent of {@code node} and everything it started, SIGKILLed together: a power cut. */
    void powerCut(String node) throws Exception {
        Process p = running.remove(node);
        List<ProcessHandle> children = p.descendants().toList();
        p.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
        p.waitFor(10, TimeUnit.SECONDS);
        for (ProcessHandle h : children) {
            h.onExit().get(10, TimeUnit.SECONDS);
        }
    }

    /** A client of {@code node}'s PostgreSQL (the site's superuser, as the agent's own connections). */
    PgControl database(String node) throws Exception {
        Map<String, String> env = pair.env(node, "standby", Map.of());
        return new PgControl(PgControl.DEBIAN_15, Path.of(env.get("GK8S_AGENT_PG_DATA")), "127.0.0.1",
                Integer.parseInt(env.get("GK8S_AGENT_PG_PORT")), node, "postgres")
                .withSecret(PgSecret.load(Path.of(env.get("GK8S_AGENT_PG_SECRET_FILE"))), "127.0.0.0/8");
    }

    /**
     * What a lost disk takes with it: the data directory and every folder PostgreSQL's side keeps beside it
     * ({@code <pg.data>.pgbackrest} with pgBackRest's configuration, the TLS and password files, the socket folder),
     * the HA epoch and the applied desired state. What stays is the node's identity (its state folder otherwise).
     */
    void wipe(String node) throws Exception {
        try (var siblings = Files.list(pair.root)) {
            for (Path p : siblings.filter(p -> p.getFileName().toString().equals(node)
                    || p.getFileName().toString().startsWith(node + ".")
                    || p.getFileName().toString().equals(node + "-postgres.log")).toList()) {
                delete(p);
            }
        }
        Path state = pair.root.resolve(node + "-state");
        for (String f : List.of("ha-epoch", "desired-generation", "desired-spec.json")) {
            Files.deleteIfExists(state.resolve(f));
        }
    }

    private static void delete(Path p) throws Exception {
        if (new ProcessBuilder("rm", "-rf", p.toString()).start().waitFor() != 0) {
            throw new IllegalStateException("cannot remove " + p);
        }
    }

    /** Kills what runs; the agents' and PostgreSQL's logs kept in {@code target/agent-processes/<site>/}. */
    @Override
    public void close() throws Exception {
        for (String node : List.copyOf(running.keySet())) {
            powerCut(node);
        }
        for (Process p : all) {
            p.destroyForcibly();
        }
        Path keep = Files.createDirectories(Path.of("target/agent-processes").resolve(pair.site()));
        try (var files = Files.list(pair.root)) {
            for (Path log : files.filter(f -> f.getFileName().toString().endsWith(".log")).toList()) {
                Files.copy(log, keep.resolve(log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
