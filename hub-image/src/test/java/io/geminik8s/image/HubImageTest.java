package io.geminik8s.image;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.agent.pg.PgSecret;
import io.geminik8s.embedded.FreePort;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The hub image as a container runtime would run it (issue 17): its layers unpacked in order, its entrypoint run as
 * its user in a chroot with its own mount and PID namespaces, configured only by environment variables for an
 * external PostgreSQL (Debian's 15, password) and MQTT broker (Debian's Mosquitto) — ready, refusing an anonymous
 * API call, running as uid 10001.
 */
@Tag("image")
class HubImageTest {

    private static final Path TAR = Path.of("target/gk8s-hub-image.tar");
    private final List<Process> started = new ArrayList<>();
    private PgControl pg;

    @AfterEach
    void stop() {
        for (Process p : started) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void theImageRunsAsItsUserAgainstAnExternalDatabaseAndBroker() throws Exception {
        OciImage image = OciImage.read(TAR);
        JsonNode config = image.config().path("config");
        assertEquals(HubImage.USER, config.path("User").asText(), "not root");
        assertEquals(HubImage.STATE, config.path("WorkingDir").asText());
        List<String> entrypoint = new ArrayList<>();
        config.path("Entrypoint").forEach(e -> entrypoint.add(e.asText()));
        assertEquals(HubImage.ENTRYPOINT, entrypoint);
        assertTrue(image.worldWritable().isEmpty(), "world-writable: " + image.worldWritable());
        assertTrue(image.setuid().isEmpty(), "setuid/setgid: " + image.setuid());

        Path work = Files.createDirectories(Path.of("target/image-test"));
        Path root = image.unpack(work.resolve("rootfs"));
        Files.createDirectories(root.resolve("dev"));
        Files.createDirectories(root.resolve("proc"));

        Path data = work.resolve("pg");
        exec("rm", "-rf", data.toString());
        exec("chown", "postgres:", work.toString());
        PgSecret secret = new PgSecret("3c".repeat(32));
        int pgPort = FreePort.find();
        pg = new PgControl(PgControl.DEBIAN_15, data, "127.0.0.1", pgPort, "hubdb", "postgres").withSecret(secret, null);
        pg.initPrimary();

        int mqttPort = FreePort.find();
        Path conf = Files.writeString(work.resolve("mosquitto.conf"), "listener " + mqttPort + " 127.0.0.1\n"
                + "allow_anonymous true\npersistence false\n");
        started.add(new ProcessBuilder("/usr/sbin/mosquitto", "-c", conf.toString())
                .redirectErrorStream(true).redirectOutput(work.resolve("mosquitto.log").toFile()).start());

        int httpPort = FreePort.find();
        Map<String, String> env = new HashMap<>(Map.of(
                "QUARKUS_DATASOURCE_REACTIVE_URL", "postgresql://127.0.0.1:" + pgPort + "/postgres",
                "QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres",
                "QUARKUS_DATASOURCE_USERNAME", "postgres",
                "QUARKUS_DATASOURCE_PASSWORD", secret.password("postgres"),
                "GK8S_MQTT_HOST", "127.0.0.1", "GK8S_MQTT_PORT", Integer.toString(mqttPort),
                "QUARKUS_HTTP_PORT", Integer.toString(httpPort)));
        String run = "mount --rbind /dev " + root + "/dev && mount -t proc proc " + root + "/proc && exec chroot"
                + " --userspec=" + HubImage.USER + " " + root + " " + String.join(" ", entrypoint);
        ProcessBuilder hub = new ProcessBuilder("unshare", "--mount", "--pid", "--fork", "sh", "-c", run)
                .redirectErrorStream(true).redirectOutput(work.resolve("hub.log").toFile());
        hub.environment().clear(); // nothing but what a container would be given
        hub.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        hub.environment().putAll(env);
        started.add(hub.start());

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() ->
                http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/q/health/ready"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
        assertEquals(401, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                + "/api/v1/sites")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode(), "no token, no API");
        long hubPid = started.get(1).descendants().filter(p -> p.info().command().orElse("").endsWith("/java"))
                .findFirst().orElseThrow().pid();
        String uid = Files.readAllLines(Path.of("/proc/" + hubPid + "/status")).stream()
                .filter(l -> l.startsWith("Uid:")).findFirst().orElseThrow();
        assertTrue(uid.matches("Uid:\\s+10001\\s+10001\\s+10001\\s+10001"), uid);
    }

    private static void exec(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        assertEquals(0, p.waitFor(), String.join(" ", cmd));
    }
}
