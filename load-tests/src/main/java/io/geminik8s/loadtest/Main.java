package io.geminik8s.loadtest;

import io.geminik8s.loadtest.scenario.CrashStorm;
import io.geminik8s.loadtest.scenario.Knee;
import io.geminik8s.loadtest.scenario.NocAtScale;
import io.geminik8s.loadtest.scenario.ReconnectStorm;
import io.geminik8s.loadtest.scenario.Report;
import io.geminik8s.loadtest.scenario.RolloutAtScale;
import io.geminik8s.loadtest.scenario.SteadyState;
import io.geminik8s.loadtest.sim.Troubles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code java -jar load-tests/target/load-tests.jar steady-state|reconnect-storm|crash-storm|knee|rollout-at-scale|noc-at-scale
 * [--sites N --viewers V (noc-at-scale)] [--synthetic-sites M] [--kills K --between-s S] [--agents N (knee: N1,N2,…)] [--health-s 30 (knee: S1,S2,…)] [--ramp-s 60]
 * [--hold-s 120] [--events-per-s 20] [--probes 4] [--hub-jvm "-Xmx1g"] [--out load-tests/reports]
 * [--failing-pct 0] [--slow-pct 0 --slow-s 3] [--offline-per-min 0 --offline-s 20]} (steady state: {@link Troubles}).
 */
public final class Main {

    private Main() {
    }

    /** Default JVM flags of the agent under test: the ones README, the package's launcher and docs give. */
    static final String AGENT_JVM = "-XX:+UseSerialGC -Xmx32m -Xms4m -Xmn1m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20"
            + " -Xss256k -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:ReservedCodeCacheSize=16m"
            + " -XX:MaxMetaspaceSize=64m -XX:TrimNativeHeapInterval=5000 -XX:-UsePerfData -XX:StringTableSize=4096";

    /**
     * {@code agent-footprint [--java PATH] [--agent-jvm FLAGS] [--agent-jar edge-agent/target/node/edge-agent.jar]
     * [--agent-env K=V,K=V] [--starts 5] [--health-s 30] [--warmup-s 60] [--hold-s 600] [--max-rss-mb 48]
     * [--max-start-ms 500] [--max-cpu-pct 0.5] [--max-wire-bytes-day 1000000] [--tls true] [--cds FILE] [--out DIR] [--name NAME]}
     * ({@code --tls false}: plain MQTT on the broker's TCP listener; {@code --cds FILE}: a first, uncounted run writes
     * an AppCDS archive there at exit, as the package's launcher does, and every counted run maps it).
     */
    static void agentFootprint(String[] args) throws Exception {
        Map<String, String> o = new LinkedHashMap<>(Map.of("--java",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--agent-jvm", AGENT_JVM,
                "--agent-jar", "edge-agent/target/node/edge-agent.jar", "--agent-env", "", "--starts", "5",
                "--health-s", "30", "--warmup-s", "60", "--hold-s", "600", "--out", "load-tests/reports",
                "--name", "agent-footprint"));
        o.putAll(Map.of("--max-rss-mb", "48", "--max-start-ms", "500", "--max-cpu-pct", "0.5",
                "--max-wire-bytes-day", "1000000", "--tls", "true", "--cds", ""));
        for (int i = 1; i < args.length; i += 2) {
            if (!o.containsKey(args[i]) || i + 1 >= args.length) {
                System.err.println("usage: load-tests.jar agent-footprint " + o.keySet() + " (each with a value)");
                System.exit(2);
            }
            o.put(args[i], args[i + 1]);
        }
        Map<String, String> env = new LinkedHashMap<>();
        for (String kv : o.get("--agent-env").split(",")) {
            if (!kv.isBlank()) {
                env.put(kv.substring(0, kv.indexOf('=')).trim(), kv.substring(kv.indexOf('=') + 1).trim());
            }
        }
        Path work = Files.createTempDirectory("gk8s-footprint");
        var s = new io.geminik8s.loadtest.scenario.AgentFootprint.Settings(Path.of(o.get("--java")),
                o.get("--agent-jvm").isBlank() ? List.of() : List.of(o.get("--agent-jvm").trim().split("\\s+")),
                Path.of(o.get("--agent-jar")), env, Integer.parseInt(o.get("--starts")),
                Duration.ofSeconds(Long.parseLong(o.get("--health-s"))),
                Duration.ofSeconds(Long.parseLong(o.get("--warmup-s"))),
                Duration.ofSeconds(Long.parseLong(o.get("--hold-s"))), Double.parseDouble(o.get("--max-rss-mb")),
                Long.parseLong(o.get("--max-start-ms")), Double.parseDouble(o.get("--max-cpu-pct")),
                Long.parseLong(o.get("--max-wire-bytes-day")), Boolean.parseBoolean(o.get("--tls")),
                o.get("--cds").isBlank() ? null : Path.of(o.get("--cds")), work);
        Report r;
        try {
            r = io.geminik8s.loadtest.scenario.AgentFootprint.run(s);
        } catch (Exception | Error e) { // the embedded broker's handler would swallow it into a bare exit 1
            e.printStackTrace();
            System.exit(1);
            return;
        }
        Knee.deleteTree(work);
        Path json = r.write(Path.of(o.get("--out")), o.get("--name"), "java -jar load-tests/target/load-tests.jar "
                + String.join(" ", Arrays.stream(args).map(a -> a.contains(" ") || a.isEmpty() ? "\"" + a + "\"" : a)
                .toList()));
        System.out.println("report: " + json + " and " + json.toString().replace(".json", ".md"));
        if (!r.failedChecks().isEmpty()) {
            System.err.println("the scenario's own checks failed: " + r.failedChecks());
            System.exit(1);
        }
        System.exit(0);
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("agent-footprint")) {
            agentFootprint(args);
            return;
        }
        if (args.length == 0 || !List.of("steady-state", "reconnect-storm", "crash-storm", "knee", "rollout-at-scale", "noc-at-scale").contains(args[0])) {
            System.err.println("usage: load-tests.jar agent-footprint [--help]\n"
                    + "       load-tests.jar steady-state|reconnect-storm|crash-storm|knee|rollout-at-scale|noc-at-scale"
                    + " [--agents N|N1,N2,…] [--sites N --viewers V]"
                    + " [--kills K --between-s S]"
                    + " [--synthetic-sites M] [--health-s S|S1,S2,…] [--ramp-s S] [--hold-s S]"
                    + " [--events-per-s R] [--probes P] [--hub-jvm FLAGS] [--out DIR] [--name NAME]"
                    + " [--failing-pct P] [--slow-pct P --slow-s S] [--offline-per-min R --offline-s S]"
                    + " [--canary N|P%] [--waves P1%,P2%,…] [--max-in-flight N] (rollout-at-scale)");
            System.exit(2);
        }
        Map<String, String> o = new LinkedHashMap<>(Map.of("--agents", "1000", "--health-s", "30", "--ramp-s", "60",
                "--hold-s", "120", "--events-per-s", "20", "--probes", "4", "--hub-jvm", "-Xmx1g",
                "--out", "load-tests/reports", "--synthetic-sites", "0"));
        o.putAll(Map.of("--failing-pct", "0", "--slow-pct", "0", "--slow-s", "3", "--offline-per-min", "0",
                "--offline-s", "20", "--kills", "5", "--between-s", "20", "--sites", "50000", "--viewers", "100"));
        o.putAll(Map.of("--canary", "100%", "--waves", "", "--max-in-flight", "1000000"));
        for (int i = 1; i + 1 < args.length; i += 2) {
            if (!o.containsKey(args[i]) && !args[i].equals("--name")) {
                throw new IllegalArgumentException("unknown option " + args[i]);
            }
            o.put(args[i], args[i + 1]);
        }
        List<Integer> sizes = Arrays.stream(o.get("--agents").split(",")).map(String::trim).map(Integer::valueOf).toList();
        int agents = sizes.get(0);
        Path work = Files.createTempDirectory("gk8s-load");
        List<Duration> healths = Arrays.stream(o.get("--health-s").split(",")).map(String::trim)
                .map(h -> Duration.ofSeconds(Long.parseLong(h))).toList();
        var settings = new SteadyState.Settings(agents, healths.get(0),
                Duration.ofSeconds(Long.parseLong(o.get("--ramp-s"))), Duration.ofSeconds(Long.parseLong(o.get("--hold-s"))),
                Double.parseDouble(o.get("--events-per-s")), Integer.parseInt(o.get("--probes")),
                List.of(o.get("--hub-jvm").trim().split("\\s+")), Path.of("hub/target/quarkus-app/quarkus-run.jar"), work,
                new Troubles(Double.parseDouble(o.get("--failing-pct")) / 100, Double.parseDouble(o.get("--slow-pct")) / 100,
                        Duration.ofSeconds(Long.parseLong(o.get("--slow-s"))), Double.parseDouble(o.get("--offline-per-min")),
                        Duration.ofSeconds(Long.parseLong(o.get("--offline-s")))));
        Report r = switch (args[0]) {
            case "steady-state" -> SteadyState.run(settings);
            case "reconnect-storm" -> ReconnectStorm.run(settings);
            case "crash-storm" -> CrashStorm.run(settings, Integer.parseInt(o.get("--kills")),
                    Duration.ofSeconds(Long.parseLong(o.get("--between-s"))));
            case "rollout-at-scale" -> RolloutAtScale.run(settings, Integer.parseInt(o.get("--synthetic-sites")),
                    new RolloutAtScale.Shape(o.get("--canary"), o.get("--waves").isBlank() ? List.of()
                            : List.of(o.get("--waves").split(",")), Integer.parseInt(o.get("--max-in-flight"))));
            case "noc-at-scale" -> NocAtScale.run(settings, Integer.parseInt(o.get("--sites")),
                    Integer.parseInt(o.get("--viewers")));
            default -> Knee.run(sizes, healths, settings);
        };
        Knee.deleteTree(work);
        String name = o.getOrDefault("--name", args[0] + "-" + (args[0].equals("knee") ? "search" : agents));
        Path json = r.write(Path.of(o.get("--out")), name, "java -jar load-tests/target/load-tests.jar "
                + String.join(" ", Arrays.asList(args)));
        System.out.println("report: " + json + " and " + json.toString().replace(".json", ".md"));
        if (!r.failedChecks().isEmpty()) {
            System.err.println("the scenario's own checks failed: " + r.failedChecks());
            System.exit(1);
        }
        System.exit(0);
    }
}
