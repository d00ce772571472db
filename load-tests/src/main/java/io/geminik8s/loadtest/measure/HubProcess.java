package io.geminik8s.loadtest.measure;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged hub with its embedded PostgreSQL and MQTT broker, as a child process on free loopback ports: what
 * `./demo` runs, measured from outside. Restartable on the same data (the reconnect storm).
 */
public final class HubProcess implements AutoCloseable {

    private final Path jar;
    private final Path data;
    private final List<String> jvmFlags;
    private final Map<String, String> settings;
    private final int httpPort;
    private final int mqttPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Process process;

    public HubProcess(Path jar, Path data, List<String> jvmFlags) throws IOException {
        this(jar, data, jvmFlags, Map.of());
    }

    /**
     * {@code settings}: system properties after the defaults, e.g. {@code gk8s.embedded=false} with an external
     * broker and database (a replica). Such a hub writes no {@code api-token}: the caller puts the token it
     * configured there.
     */
    public HubProcess(Path jar, Path data, List<String> jvmFlags, Map<String, String> settings) throws IOException {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build the hub first (./mvnw -DskipTests package)");
        }
        this.jar = jar;
        this.data = data;
        this.jvmFlags = List.copyOf(jvmFlags);
        this.settings = Map.copyOf(settings);
        this.httpPort = freePort();
        this.mqttPort = settings.containsKey("gk8s.mqtt.port") ? Integer.parseInt(settings.get("gk8s.mqtt.port"))
                : freePort();
    }

    /** Starts and waits until {@code /q/health/ready} answers 200; returns the start time in ms. */
    public long start(Duration timeout) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-Dgk8s.data-dir=" + data, "-Dgk8s.embedded.mqtt-port=" + mqttPort,
                "-Dquarkus.http.port=" + httpPort));
        settings.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(List.of("-jar", jar.toString()));
        long t0 = System.nanoTime();
        process = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(data.resolveSibling("hub.log").toFile())).start();
        Process started = process;
        // a scenario stopped with Ctrl-C or SIGTERM must not leave its hub (and the hub's PostgreSQL) running
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            started.descendants().forEach(ProcessHandle::destroyForcibly);
            started.destroyForcibly();
        }));
        long deadline = t0 + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the hub exited with " + process.exitValue() + "; see "
                        + data.resolveSibling("hub.log"));
            }
            if (get("/q/health/ready").statusCode() == 200) {
                return (System.nanoTime() - t0) / 1_000_000;
            }
            Thread.sleep(100); // polling another process's readiness; the deadline bounds it
        }
        throw new IllegalStateException("the hub was not ready within " + timeout);
    }

    public HttpResponse<String> get(String path) throws InterruptedException {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path)).GET());
    }

    /** POSTs {@code body} with its content type, as the embedded hub's operator. */
    public HttpResponse<String> post(String path, String contentType, String body) throws InterruptedException {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws InterruptedException {
        try {
            b.timeout(Duration.ofSeconds(30));
            Path token = data.resolve("api-token"); // the embedded hub's own operator token
            if (Files.exists(token)) {
                b.header("Authorization", "Bearer " + Files.readString(token).trim());
            }
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return new FailedResponse(e);
        }
    }

    /**
     * Heap in use right after a full collection in the hub ({@code jcmd <pid> GC.run}): the live set, without the
     * garbage that the plain "heap used" includes depending on when the collector last ran. -1 if jcmd fails.
     */
    public double liveHeapMb() throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process gc = new ProcessBuilder(jcmd.toString(), Long.toString(pid()), "GC.run").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!gc.waitFor(60, TimeUnit.SECONDS) || gc.exitValue() != 0) {
            gc.destroyForcibly();
            return -1;
        }
        return HubMetrics.value(this, "jvm_memory_used_bytes", "area=\"heap\"") / 1024 / 1024;
    }

    public int httpPort() {
        return httpPort;
    }

    public int mqttPort() {
        return mqttPort;
    }

    public long pid() {
        return process.pid();
    }

    /**
     * {@code kill -9} of the hub's JVM alone, as a crash does it: nothing flushes, the embedded broker dies with it,
     * and its PostgreSQL (a child process) is left running until the next start stops it.
     */
    public void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Whether {@code /q/health/ready} answers 200 now. */
    public boolean ready() throws InterruptedException {
        return get("/q/health/ready").statusCode() == 200;
    }

    /** Stops the hub (SIGTERM: it flushes what it holds), or SIGKILL after 30 s. */
    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            List<ProcessHandle> children = process.descendants().toList();
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            children.forEach(ProcessHandle::destroyForcibly);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
