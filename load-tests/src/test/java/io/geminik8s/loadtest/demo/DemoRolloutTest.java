package io.geminik8s.loadtest.demo;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.geminik8s.embedded.FreePort;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What README tells a new user to run for the demo's canary rollout, as written (issue 14): {@code ./demo} on a fresh
 * data folder (the jars this build just made: GK8S_DEMO_BUILD=never), then every {@code ./gk8s} line of README's
 * "A canary rollout on the demo" blocks in order, each expected to exit as its comment says ("exit 2") or 0: the
 * rollout of K3s v1.31.5 succeeds on every store-standard site, the one of a K3s build that never gets ready pauses
 * after its canary, the abort takes the canary back; then docs/rollouts.md's example session's other reads.
 */
class DemoRolloutTest {

    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private Process demo;
    private final Map<String, String> env = new HashMap<>();

    @AfterEach
    void stopDemo() throws Exception {
        if (demo != null && demo.isAlive()) {
            List<ProcessHandle> tree = demo.descendants().toList();
            demo.destroy(); // SIGTERM: the script stops the agents, then the hub
            if (!demo.waitFor(60, TimeUnit.SECONDS)) {
                demo.destroyForcibly();
            }
            tree.forEach(ProcessHandle::destroyForcibly);
        }
    }

    /** The ./gk8s lines of README's demo rollout section, with the exit code each one's comment names. */
    static List<Map.Entry<String, Integer>> readmeCommands() throws IOException {
        String readme = Files.readString(REPO.resolve("README.md"));
        int from = readme.indexOf("<!-- demo-rollout");
        int to = readme.indexOf("## ", from);
        assertTrue(from > 0 && to > from, "README has the demo rollout section");
        List<Map.Entry<String, Integer>> out = new ArrayList<>();
        Pattern exit = Pattern.compile("\\(exit (\\d+)");
        for (String line : readme.substring(from, to).split("\n")) {
            if (line.startsWith("./gk8s ")) {
                int hash = line.indexOf('#');
                String command = (hash < 0 ? line : line.substring(0, hash)).trim();
                Matcher m = exit.matcher(hash < 0 ? "" : line.substring(hash));
                out.add(Map.entry(command, m.find() ? Integer.parseInt(m.group(1)) : 0));
            }
        }
        return out;
    }

    /** The {@code $ ./gk8s} lines of docs/rollouts.md's example session against the demo. */
    static List<String> docsCommands() throws IOException {
        String doc = Files.readString(REPO.resolve("docs/rollouts.md"));
        int from = doc.indexOf("An example session against the demo");
        int to = doc.indexOf("```\n", doc.indexOf("```", from) + 3);
        assertTrue(from > 0 && to > from, "docs/rollouts.md has the example session");
        List<String> out = new ArrayList<>();
        for (String line : doc.substring(from, to).split("\n")) {
            if (line.startsWith("$ ./gk8s ")) {
                int hash = line.indexOf('#');
                out.add((hash < 0 ? line : line.substring(0, hash)).substring(2).trim());
            }
        }
        return out;
    }

    private String gk8s(String command, int expectedExit, Duration timeout) throws Exception {
        List<String> argv = new ArrayList<>(List.of("sh"));
        argv.addAll(Arrays.asList(command.split("\\s+")));
        ProcessBuilder pb = new ProcessBuilder(argv).directory(REPO.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + ": still running after " + timeout + "\n" + logs());
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        System.out.println("$ " + command + "\n" + out.stripTrailing());
        assertEquals(expectedExit, p.exitValue(), command + " answered:\n" + out + "\n" + logs());
        return out;
    }

    private String logs() throws IOException {
        StringBuilder b = new StringBuilder();
        for (String log : List.of("hub.log", "agents.log")) {
            Path p = dir.resolve("data").resolve(log);
            if (Files.exists(p)) {
                List<String> lines = Files.readAllLines(p);
                b.append("--- ").append(log).append(" (last 40 lines)\n")
                        .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
            }
        }
        return b.toString();
    }

    @Test
    void theReadmesCanaryRolloutsRunAsWrittenAgainstTheDemo() throws Exception {
        List<Map.Entry<String, Integer>> commands = readmeCommands();
        assertTrue(commands.size() >= 6, commands.toString());
        env.put("GK8S_CONFIG", dir.resolve("gk8s-config.yaml").toString());
        env.put("GK8S_DATA_DIR", dir.resolve("data").toString());
        env.put("GK8S_HTTP_PORT", Integer.toString(FreePort.find()));
        env.put("GK8S_MQTT_PORT", Integer.toString(FreePort.find()));
        env.put("GK8S_DEMO_BUILD", "never");
        ProcessBuilder pb = new ProcessBuilder("bash", "demo").directory(REPO.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("demo.out").toFile());
        pb.environment().putAll(env);
        demo = pb.start();
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2)).ignoreExceptions().until(() -> {
            JsonNode sites = JSON.readTree(gk8s("./gk8s get sites -o json", 0, Duration.ofSeconds(60)));
            int healthy = 0;
            for (JsonNode s : sites.path("items").isArray() ? sites.path("items") : sites) {
                healthy += "healthy".equals(s.path("status").asText()) ? 1 : 0;
            }
            return healthy == 3;
        });
        for (Map.Entry<String, Integer> c : commands) {
            gk8s(c.getKey(), c.getValue(), Duration.ofMinutes(5));
        }
        // docs/rollouts.md's example session: what README did not run already, as written
        List<String> ran = commands.stream().map(Map.Entry::getKey).toList();
        for (String command : docsCommands()) {
            if (!ran.contains(command)) {
                String out = gk8s(command, 0, Duration.ofMinutes(2));
                if (command.contains("--state failed")) {
                    assertEquals("[ ]", out.strip(), "rollout 1 failed no site");
                }
            }
        }
        // the hub carries an abort out at its next tick (the CLI says so): awaited, with a deadline
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).until(() -> JSON.readTree(
                gk8s("./gk8s rollout status 2 -o json", 0, Duration.ofSeconds(60))).path("phase").asText()
                .equals("aborted"));
    }
}
