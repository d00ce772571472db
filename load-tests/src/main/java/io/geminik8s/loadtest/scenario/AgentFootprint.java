package io.geminik8s.loadtest.scenario;

import io.geminik8s.embedded.EmbeddedBroker;
import io.geminik8s.embedded.FreePort;
import io.geminik8s.loadtest.measure.ProcessStats;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One real edge agent (the packaged {@code edge-agent.jar}, its own JVM with the flags under test) against the
 * embedded HiveMQ broker (the hub's {@link EmbeddedBroker}, mTLS listener with client certificates required), as a
 * node runs it. Measures:
 * <ul>
 * <li>start → connected: from just before the process is started to the agent's log line {@code connected to},
 * which it prints in the client's connected listener, i.e. after the CONNACK; median of {@code starts} starts;</li>
 * <li>RSS ({@code VmRSS}) after the warm-up and at every health interval of the hold; the report's {@code rss_mb} is
 * the last sample (steady: after warm-up + hold);</li>
 * <li>idle CPU: user + system ticks of the agent's process over the hold ÷ the hold's wall time (% of one core);</li>
 * <li>wire: the agent's TCP socket's own counters ({@code ss -ti}: {@code bytes_sent}, {@code bytes_received},
 * {@code segs_out}, {@code segs_in}, retransmissions included) over the hold; IP bytes = TCP payload (TLS records
 * with MQTT in them) + per segment 20 (IPv4) + 20 (TCP) + 12 (timestamp option, when
 * {@code net.ipv4.tcp_timestamps} is on) bytes; pure ACKs are segments too. Link-layer framing is not counted.
 * Extrapolated to a day: × 86,400 s ÷ the hold.</li>
 * </ul>
 * Checks (exit 1 when one fails): {@code rss_mb} ≤ {@code --max-rss-mb}, median start → connected ≤
 * {@code --max-start-ms}, CPU < {@code --max-cpu-pct}, wire bytes/day ≤ {@code --max-wire-bytes-day}, and the hold
 * ran on one connection (no reconnect hides or adds bytes).
 */
public final class AgentFootprint {

    public record Settings(Path java, List<String> jvmFlags, Path agentJar, Map<String, String> agentEnv, int starts,
                           Duration health, Duration warmup, Duration hold, double maxRssMb, long maxStartMs,
                           double maxCpuPct, long maxWireBytesPerDay, boolean tls, Path cds, Path work) {

        /** As the package's launcher sets it; the benchmark's own environment may override it. */
        String mallocArenaMax() {
            return System.getenv().getOrDefault("MALLOC_ARENA_MAX", "1");
        }
    }

    private static final Pattern CONNECTED = Pattern.compile("connected to ");
    private static final String PASSWORD = "footprint";

    private AgentFootprint() {
    }

    public static Report run(Settings s) throws Exception {
        Report r = new Report().put("scenario", "agent-footprint").put("agents", 1);
        r.put("agent_java", s.java().toString()).put("agent_jvm_flags", String.join(" ", s.jvmFlags()))
                .put("hub_jvm_flags", "(none: broker in the benchmark's JVM)")
                .put("agent_malloc_arena_max", s.mallocArenaMax()).put("health_s", s.health().toSeconds()).put("mqtt_over", s.tls() ? "mTLS (JDK TLS 1.3)" : "plain TCP").put("agent_env", new java.util.TreeMap<>(s.agentEnv()));
        Path pki = Files.createDirectories(s.work().resolve("pki"));
        makePki(pki);
        int tlsPort = FreePort.find();
        EmbeddedBroker broker = new EmbeddedBroker(s.work().resolve("broker"), 0, false,
                new EmbeddedBroker.Tls(tlsPort, pki.resolve("broker.p12"), PASSWORD, pki.resolve("trust.p12"),
                        PASSWORD, true));
        broker.start();
        try {
            Map<String, String> env = new HashMap<>();
            env.put("GK8S_AGENT_SITE", "footprint");
            env.put("GK8S_AGENT_NODE", "a");
            if (s.tls()) {
                env.put("GK8S_AGENT_BROKER_URL", "ssl://127.0.0.1:" + tlsPort);
                env.put("GK8S_AGENT_TLS_CERT", pki.resolve("node.crt").toString());
                env.put("GK8S_AGENT_TLS_KEY", pki.resolve("node.key").toString());
                env.put("GK8S_AGENT_TLS_CA", pki.resolve("ca.crt").toString());
            } else {
                env.put("GK8S_AGENT_BROKER_URL", "tcp://127.0.0.1:" + broker.port());
                env.put("GK8S_AGENT_BROKER_ALLOW_PLAINTEXT", "true");
            }
            int port = s.tls() ? tlsPort : broker.port();
            env.put("GK8S_AGENT_STATE_DIR", s.work().resolve("state").toString());
            env.put("GK8S_AGENT_HEALTH_INTERVAL_S", Long.toString(s.health().toSeconds()));
            env.putAll(s.agentEnv());

            Settings run = s;
            if (s.cds() != null) {
                // as the package's launcher does: a first run writes the AppCDS archive at exit, later runs map it
                Files.deleteIfExists(s.cds());
                List<String> training = new ArrayList<>(s.jvmFlags());
                training.add("-XX:ArchiveClassesAtExit=" + s.cds());
                try (AgentProcess a = AgentProcess.start(withFlags(s, training), env,
                        s.work().resolve("agent-cds-training.log"))) {
                    a.connectedMs(Duration.ofSeconds(30));
                    Thread.sleep(s.health().toMillis() + 2_000); // a time window: one health sample's classes too
                }
                if (!Files.isRegularFile(s.cds())) {
                    throw new IllegalStateException("no AppCDS archive written to " + s.cds());
                }
                List<String> using = new ArrayList<>(s.jvmFlags());
                using.add("-XX:SharedArchiveFile=" + s.cds());
                run = withFlags(s, using);
                r.put("agent_jvm_flags", String.join(" ", using)).put("cds_archive_mb",
                        SteadyState.round(Files.size(s.cds()) / 1048576.0));
            }
            List<Long> startMs = new ArrayList<>();
            for (int i = 0; i < s.starts(); i++) {
                try (AgentProcess a = AgentProcess.start(run, env, s.work().resolve("agent-start-" + i + ".log"))) {
                    startMs.add(a.connectedMs(Duration.ofSeconds(30)));
                }
            }
            List<Long> sorted = startMs.stream().sorted().toList();
            long medianStart = sorted.get(sorted.size() / 2);
            r.put("start_connected_ms", startMs).put("start_connected_median_ms", medianStart);
            System.out.println("start -> connected (ms): " + startMs + ", median " + medianStart);

            try (AgentProcess a = AgentProcess.start(run, env, s.work().resolve("agent-hold.log"))) {
                a.connectedMs(Duration.ofSeconds(30));
                Thread.sleep(s.warmup().toMillis()); // a time window, not a condition: the warm-up itself
                Socket w0 = Socket.of(port);
                double cpu0 = ProcessStats.cpuSeconds(a.pid());
                long t0 = System.nanoTime();
                List<Double> rss = new ArrayList<>();
                long next = t0;
                long end = t0 + s.hold().toNanos();
                while (System.nanoTime() < end) {
                    double mb = ProcessStats.rssMb(a.pid());
                    rss.add(mb);
                    Map<String, Object> p = new LinkedHashMap<>();
                    p.put("t_s", Math.round((System.nanoTime() - t0) / 1e9));
                    p.put("agent_rss_mb", SteadyState.round(mb));
                    Socket now = Socket.of(port);
                    p.put("wire_ip_bytes", now.ipBytes() - w0.ipBytes());
                    r.sample(p);
                    next += s.health().toNanos();
                    long wait = Math.min(next, end) - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                }
                double cpu1 = ProcessStats.cpuSeconds(a.pid());
                Socket w1 = Socket.of(port);
                double holdS = (System.nanoTime() - t0) / 1e9;
                double rssEnd = ProcessStats.rssMb(a.pid());
                long ip = w1.ipBytes() - w0.ipBytes();
                long perDay = Math.round(ip * 86_400 / holdS);
                double cpuPct = (cpu1 - cpu0) / holdS * 100;
                r.put("warmup_s", s.warmup().toSeconds()).put("hold_s", SteadyState.round(holdS))
                        .put("rss_mb", SteadyState.round(rssEnd))
                        .put("rss_max_mb", SteadyState.round(rss.stream().mapToDouble(d -> d).max().orElse(0)))
                        .put("pss_mb", SteadyState.round(ProcessStats.pssMb(a.pid())))
                        .put("idle_cpu_pct", Math.round(cpuPct * 1000) / 1000.0)
                        .put("wire_tcp_payload_bytes", (w1.bytesSent - w0.bytesSent) + (w1.bytesReceived - w0.bytesReceived))
                        .put("wire_segments", (w1.segsOut - w0.segsOut) + (w1.segsIn - w0.segsIn))
                        .put("wire_header_bytes_per_segment", Socket.headerBytes())
                        .put("wire_ip_bytes", ip)
                        .put("wire_ip_bytes_per_day", perDay)
                        .put("wire_ip_bytes_per_health_interval",
                                Math.round(ip / (holdS / s.health().toSeconds())))
                        .put("connection_local_port", w1.localPort);
                r.check("rss_mb<=" + s.maxRssMb(), rssEnd <= s.maxRssMb());
                r.check("start_connected_median_ms<=" + s.maxStartMs(), medianStart <= s.maxStartMs());
                r.check("idle_cpu_pct<" + s.maxCpuPct(), cpuPct < s.maxCpuPct());
                r.check("wire_ip_bytes_per_day<=" + s.maxWireBytesPerDay(), perDay <= s.maxWireBytesPerDay());
                r.check("one_connection_during_hold", w0.localPort == w1.localPort && a.connections() == 1);
                System.out.printf("RSS %.1f MB, CPU %.3f %%, wire %d IP bytes in %.0f s = %d bytes/day%n", rssEnd,
                        cpuPct, ip, holdS, perDay);
            }
        } finally {
            broker.close();
        }
        return r;
    }

    private static Settings withFlags(Settings s, List<String> flags) {
        return new Settings(s.java(), flags, s.agentJar(), s.agentEnv(), s.starts(), s.health(), s.warmup(), s.hold(),
                s.maxRssMb(), s.maxStartMs(), s.maxCpuPct(), s.maxWireBytesPerDay(), s.tls(), s.cds(), s.work());
    }

    /** CA, the broker's certificate for 127.0.0.1 and the node's (CN = site/node), EC P-256, with openssl + keytool. */
    static void makePki(Path dir) throws IOException, InterruptedException {
        sh(dir, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=footprint-ca");
        for (String[] who : new String[][] {{"broker", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1"},
                {"node", "/CN=footprint\\/a", "extendedKeyUsage=clientAuth"}}) {
            sh(dir, "openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", who[0] + ".key", "-out", who[0] + ".csr", "-subj", who[1]);
            Files.writeString(dir.resolve(who[0] + ".ext"), who[2] + "\n");
            sh(dir, "openssl", "x509", "-req", "-in", who[0] + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                    "-CAcreateserial", "-out", who[0] + ".crt", "-days", "2", "-extfile", who[0] + ".ext");
        }
        sh(dir, "openssl", "pkcs12", "-export", "-in", "broker.crt", "-inkey", "broker.key", "-certfile", "ca.crt",
                "-out", "broker.p12", "-passout", "pass:" + PASSWORD, "-name", "broker");
        sh(dir, "keytool", "-importcert", "-noprompt", "-storetype", "PKCS12", "-keystore", "trust.p12",
                "-storepass", PASSWORD, "-alias", "ca", "-file", "ca.crt");
    }

    private static void sh(Path dir, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
    }

    /** The agent as a child process; its log is copied to a file and watched for the connected line. */
    static final class AgentProcess implements AutoCloseable {
        private final Process process;
        private final long startNanos;
        private final CompletableFuture<Long> connected = new CompletableFuture<>();
        private final java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();

        private AgentProcess(Process process, long startNanos, Path log) {
            this.process = process;
            this.startNanos = startNanos;
            Thread t = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8)); PrintWriter out = new PrintWriter(Files.newBufferedWriter(log))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        long at = System.nanoTime();
                        if (CONNECTED.matcher(line).find()) {
                            connections.incrementAndGet();
                            connected.complete((at - startNanos) / 1_000_000);
                        }
                        out.println(line);
                        out.flush();
                    }
                } catch (IOException e) {
                    connected.completeExceptionally(e);
                }
                connected.completeExceptionally(new IllegalStateException("agent exited before it connected; see "
                        + log));
            }, "agent-log");
            t.setDaemon(true);
            t.start();
        }

        static AgentProcess start(Settings s, Map<String, String> env, Path log) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(s.java().toString()));
            cmd.addAll(s.jvmFlags());
            cmd.addAll(List.of("-jar", s.agentJar().toString()));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().keySet().removeIf(k -> k.startsWith("GK8S_AGENT_"));
            pb.environment().putAll(env);
            pb.environment().put("MALLOC_ARENA_MAX", s.mallocArenaMax());
            long t = System.nanoTime();
            return new AgentProcess(pb.start(), t, log);
        }

        long connectedMs(Duration timeout) throws Exception {
            return connected.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        long pid() {
            return process.pid();
        }

        int connections() {
            return connections.get();
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    /** The agent's end of its connection to {@code port}, from {@code ss -tinH}. */
    record Socket(int localPort, long bytesSent, long bytesReceived, long segsOut, long segsIn) {

        static Socket of(int port) throws IOException, InterruptedException {
            Process p = new ProcessBuilder("ss", "-tinH", "state", "established", "( dport = :" + port + " )")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            return parse(out, port);
        }

        /** The one established connection to {@code port} in {@code ss -tinH} output. */
        static Socket parse(String out, int port) {
            Matcher local = Pattern.compile(
                    "(?:\\[::ffff:)?127\\.0\\.0\\.1\\]?:(\\d+)\\s+(?:\\[::ffff:)?127\\.0\\.0\\.1\\]?:" + port + "\\s").matcher(out);
            if (!local.find()) {
                throw new IllegalStateException("no established connection to port " + port + ": " + out);
            }
            int localPort = Integer.parseInt(local.group(1));
            if (local.find()) {
                throw new IllegalStateException("more than one connection to port " + port + ": " + out);
            }
            // an IPv4-mapped address on a dual-stack socket is still IPv4 on the wire (20-byte header)
            return new Socket(localPort, field(out, "bytes_sent"),
                    field(out, "bytes_received"), field(out, "segs_out"), field(out, "segs_in"));
        }

        private static long field(String ss, String name) {
            Matcher m = Pattern.compile("\\b" + name + ":(\\d+)").matcher(ss);
            return m.find() ? Long.parseLong(m.group(1)) : 0; // absent: nothing counted yet
        }

        /** IPv4 (20) + TCP (20) + the timestamp option (12, padded) when the kernel uses it. */
        static int headerBytes() {
            try {
                String ts = Files.readString(Path.of("/proc/sys/net/ipv4/tcp_timestamps")).trim();
                return 40 + ("0".equals(ts) ? 0 : 12);
            } catch (IOException e) {
                return 52;
            }
        }

        long ipBytes() {
            return bytesSent + bytesReceived + (segsOut + segsIn) * headerBytes();
        }
    }
}
