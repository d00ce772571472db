package io.geminik8s.hub;

import io.geminik8s.embedded.EmbeddedDatabase;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The hub against Debian's Mosquitto 2.0 (a real broker process, started here with persistence) and the embedded
 * PostgreSQL. Mosquitto is required where {@code GK8S_REQUIRE_MOSQUITTO=1} ({@code .ci/run} installs it); elsewhere a
 * test using this reports itself as not run. Restartable under a running hub.
 */
public class MosquittoInfrastructure implements QuarkusTestResourceLifecycleManager {

    public static final Path BINARY = Path.of("/usr/sbin/mosquitto");
    private static volatile Process mosquitto;
    private static volatile Path config;
    private static volatile int port;
    private EmbeddedDatabase database;

    public static boolean available() {
        return Files.isExecutable(BINARY);
    }

    @Override
    public Map<String, String> start() {
        if (!available()) {
            if ("1".equals(System.getenv("GK8S_REQUIRE_MOSQUITTO"))) {
                throw new IllegalStateException(BINARY + " is missing (apt-get install mosquitto)");
            }
            return Map.of();
        }
        try {
            Path dir = Files.createTempDirectory("gk8s-mosquitto");
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            config = dir.resolve("mosquitto.conf");
            // as the hub's operations guide says: MQTT on loopback here, the store saved every second
            Files.writeString(config, String.join("\n", "listener " + port + " 127.0.0.1", "allow_anonymous true",
                    "persistence true", "persistence_location " + dir + "/", "autosave_interval 1",
                    "autosave_on_changes false", "max_packet_size 131072", "max_queued_messages 1000000",
                    "max_queued_bytes 268435456",
                    "user root", "log_dest file " + dir.resolve("mosquitto.log"), ""));
            startBroker();
            database = EmbeddedDatabase.start(null, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        HubInfrastructure.mqttPort = port;
        return Map.ofEntries(Map.entry("quarkus.datasource.reactive.url", database.reactiveUrl()),
                Map.entry("quarkus.datasource.jdbc.url", database.jdbcUrl()),
                Map.entry("quarkus.datasource.username", database.user()),
                Map.entry("quarkus.datasource.password", database.password()),
                Map.entry("gk8s.mqtt.host", "127.0.0.1"), Map.entry("gk8s.mqtt.port", Integer.toString(port)),
                Map.entry("gk8s.auth.tokens.tester.sha256", Sha256.hex(HubInfrastructure.OPERATOR_TOKEN)),
                Map.entry("gk8s.auth.tokens.tester.role", "operator"),
                Map.entry("gk8s.hub.will-grace", "5s")); // Mosquitto publishes every Last Will when it restarts
    }

    /** Starts Mosquitto and waits until it accepts connections. */
    public static synchronized void startBroker() {
        try {
            mosquitto = new ProcessBuilder(BINARY.toString(), "-c", config.toString()).redirectErrorStream(true)
                    .redirectOutput(config.resolveSibling("stdout.log").toFile()).start();
            Process started = mosquitto;
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .pollInterval(java.time.Duration.ofMillis(20)).until(() -> {
                        if (!started.isAlive()) {
                            throw new IllegalStateException("mosquitto did not start: " + Files.readString(
                                    config.resolveSibling("stdout.log")));
                        }
                        try (var s = new java.net.Socket("127.0.0.1", port)) {
                            return true;
                        } catch (IOException notYet) {
                            return false;
                        }
                    });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops Mosquitto as its service manager does (SIGTERM: it saves its persistence and exits). */
    public static synchronized void stopBroker() {
        Process p = mosquitto;
        if (p != null && p.isAlive()) {
            p.destroy();
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void stop() {
        stopBroker();
        if (database != null) {
            database.close();
        }
    }
}
