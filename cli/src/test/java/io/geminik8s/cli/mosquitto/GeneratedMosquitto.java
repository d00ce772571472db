package io.geminik8s.cli.mosquitto;

import static org.awaitility.Awaitility.await;

import io.geminik8s.cli.Gk8s;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Debian's Mosquitto 2.0 started from what {@code gk8s mosquitto-config} wrote, included the way Debian includes
 * {@code /etc/mosquitto/conf.d/}. The binary is required where {@code GK8S_REQUIRE_MOSQUITTO=1} ({@code .ci/run});
 * elsewhere {@link #available()} is false and the test reports itself as not run.
 */
public final class GeneratedMosquitto implements AutoCloseable {

    public static final Path BINARY = Path.of("/usr/sbin/mosquitto");

    public final Path dir;
    public final int nodePort;
    public final int hubPort;
    public final String hubSecret;
    private Process process;

    public static boolean available() {
        if (Files.isExecutable(BINARY)) {
            return true;
        }
        if ("1".equals(System.getenv("GK8S_REQUIRE_MOSQUITTO"))) {
            throw new IllegalStateException(BINARY + " is missing (apt-get install mosquitto)");
        }
        return false;
    }

    public GeneratedMosquitto(TestPki pki, List<String> nodes) throws Exception {
        this(pki, nodes, List.of());
    }

    /** With more {@code gk8s mosquitto-config} arguments, e.g. {@code --crlfile FILE}. */
    public GeneratedMosquitto(TestPki pki, List<String> nodes, List<String> more) throws Exception {
        this(pki, TestPki.pem("CERTIFICATE", pki.ca.cert().getEncoded()), nodes, more);
    }

    /**
     * The broker's server certificate from {@code serverPki}; client certificates checked against {@code clientCa}
     * (PEM, e.g. a fleet root) as {@code --cafile}.
     */
    public GeneratedMosquitto(TestPki serverPki, String clientCa, List<String> nodes, List<String> more)
            throws Exception {
        this(serverPki, clientCa, nodes, more, false);
    }

    /** {@code persistence}: as Debian's mosquitto.conf has it (on), in this broker's folder. */
    public GeneratedMosquitto(TestPki serverPki, String clientCa, List<String> nodes, List<String> more,
                              boolean persistence) throws Exception {
        dir = Files.createTempDirectory("gk8s-mosquitto-acl");
        nodePort = freePort();
        hubPort = freePort();
        serverPki.issue("localhost", true).writePem(dir.resolve("server.pem"), dir.resolve("server.key"));
        Files.writeString(dir.resolve("ca.pem"), clientCa);
        Path generated = Files.createDirectories(dir.resolve("conf.d"));
        List<String> args = new ArrayList<>(List.of("mosquitto-config", "--out", generated.toString(),
                "--node-listener", "127.0.0.1:" + nodePort, "--hub-listener", "127.0.0.1:" + hubPort,
                "--cafile", dir.resolve("ca.pem").toString(), "--certfile", dir.resolve("server.pem").toString(),
                "--keyfile", dir.resolve("server.key").toString()));
        nodes.forEach(n -> args.addAll(List.of("--node", n)));
        args.addAll(more);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Gk8s.run(Map.of(), new PrintWriter(out), new PrintWriter(err), args.toArray(String[]::new));
        if (rc != 0) {
            throw new IllegalStateException("gk8s mosquitto-config failed: " + err);
        }
        Path secret = generated.resolve("hub.password"); // none with --hub-auth certificate
        hubSecret = Files.exists(secret) ? Files.readString(secret).strip() : null;
        // what Debian's /etc/mosquitto/mosquitto.conf adds around conf.d; root only because the tests run as root
        Files.writeString(dir.resolve("mosquitto.conf"), String.join("\n", "user root",
                persistence ? "persistence true\npersistence_location " + dir + "/" : "persistence false",
                "log_dest file " + dir.resolve("mosquitto.log"), "log_type all", "include_dir " + generated, ""));
        start();
    }

    private void start() throws Exception {
        process = new ProcessBuilder(BINARY.toString(), "-c", dir.resolve("mosquitto.conf").toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dir.resolve("stdout.log").toFile())).start();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
            if (!process.isAlive()) {
                throw new IllegalStateException("mosquitto did not start: " + Files.readString(dir.resolve("stdout.log"))
                        + log());
            }
            return listening(nodePort) && listening(hubPort);
        });
    }

    /**
     * {@code systemctl reload mosquitto}: SIGHUP, returning once Mosquitto has logged that it reloads. Mosquitto is
     * single-threaded: it accepts the next connection only after the reload is done.
     */
    public void reload() throws Exception {
        long before = reloads();
        int rc = new ProcessBuilder("kill", "-HUP", Long.toString(process.pid())).inheritIO().start().waitFor();
        if (rc != 0) {
            throw new IllegalStateException("kill -HUP " + process.pid() + " exited " + rc);
        }
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> reloads() > before);
    }

    private long reloads() throws IOException {
        return log().lines().filter(l -> l.contains("Reloading config")).count();
    }

    /** {@code systemctl restart mosquitto}: SIGTERM, wait for the exit, start again on the same ports. */
    public void restart() throws Exception {
        stop();
        start();
    }

    public boolean alive() {
        return process.isAlive();
    }

    private void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    /** Waits (10 s at most) until Mosquitto's log holds {@code text}: it writes its log after the event, not with it. */
    public void awaitLogged(String text) {
        await("mosquitto logs '" + text + "'").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> log().contains(text));
    }

    private String log() throws IOException {
        Path log = dir.resolve("mosquitto.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws Exception {
        stop();
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
