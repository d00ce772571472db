package io.geminik8s.loadtest.replica;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Debian's Mosquitto 2.0 as a child process on a free loopback port, the store saved every second (as
 * docs/operations.md configures it). Required where {@code GK8S_REQUIRE_MOSQUITTO=1} ({@code .ci/run} installs it).
 */
final class MosquittoBroker implements AutoCloseable {

    static final Path BINARY = Path.of("/usr/sbin/mosquitto");

    private final Path dir;
    private final int port;
    private final Process process;

    static boolean required() {
        return "1".equals(System.getenv("GK8S_REQUIRE_MOSQUITTO"));
    }

    static boolean available() {
        return Files.isExecutable(BINARY);
    }

    MosquittoBroker(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path config = dir.resolve("mosquitto.conf");
        Files.writeString(config, String.join("\n", "listener " + port + " 127.0.0.1", "allow_anonymous true",
                "persistence true", "persistence_location " + dir + "/", "autosave_interval 1",
                "autosave_on_changes false", "max_packet_size 131072", "max_queued_messages 1000000",
                "max_queued_bytes 268435456", "user root",
                "log_dest file " + dir.resolve("mosquitto.log"), ""));
        process = new ProcessBuilder(BINARY.toString(), "-c", config.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("stdout.log").toFile()).start();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
            if (!process.isAlive()) {
                throw new IllegalStateException("mosquitto did not start: " + Files.readString(dir.resolve("stdout.log")));
            }
            try (Socket s = new Socket("127.0.0.1", port)) {
                return true;
            } catch (IOException notYet) {
                return false;
            }
        });
    }

    int port() {
        return port;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
