package io.geminik8s.hub.witness;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.geminik8s.agent.Agent;
import io.geminik8s.agent.ha.HaNode;
import io.geminik8s.agent.ha.PairMachine;
import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.agent.upgrade.BinaryK3s;
import io.geminik8s.agent.upgrade.UpgradeRecord;
import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.IngestProbe;
import io.geminik8s.protocol.Artifact;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A pair takes a K3s upgrade pair-aware (issue 14), with real PostgreSQL 15, the agents' own HA and the hub as
 * witness: the hub's desired state names a newer K3s (a signed artifact of the stand-in binary) and the template's
 * PostgreSQL settings, three of which need a restart (archive_mode, as the template asks for backups); the standby upgrades, applies them, restarts and proves it, the
 * primary hands over (fence, release, the standby granted epoch 2 at once), rejoins as standby and upgrades. A writer
 * commits all the while: no acknowledged write lost; the longest gap between two commits is the switchover's pause
 * (printed). Then a rollout of a setting that a reload takes: applied on both nodes in place, no switchover. The VIP and the writer through it are the namespace harness's
 * (ha-harness/run.sh upgrade).
 */
@QuarkusTest
@io.quarkus.test.junit.TestProfile(PairTestLease.class)
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class PlannedSwitchoverTest {

    static final Path STAND_IN = Path.of("../ha-harness/k3s-binary-standin.sh").toAbsolutePath().normalize();
    static final String OLD = "v1.31.4+k3s1";
    static final String NEW = "v1.31.5+k3s1";

    private PairNodes pair;
    private HttpServer server;

    @AfterEach
    void cleanUp() throws Exception {
        if (pair != null) {
            pair.close();
        }
        if (server != null) {
            server.stop(0);
        }
    }

    private record Node(Agent agent, HaNode ha, Path binary, Path state) {
    }

    /** A node of the pair with the stand-in K3s binary at the old version, upgrading pair-aware. */
    private Node start(String site, String node, String role, Path signingKey) throws Exception {
        Path bin = Files.createDirectories(pair.root.resolve(node + "-bin")).resolve("k3s");
        Files.writeString(bin, Files.readString(STAND_IN));
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        PairNodes.Node n = pair.start(node, role, Map.of("GK8S_AGENT_HEALTH_INTERVAL_S", "1",
                "GK8S_AGENT_LABELS", "site-kind=" + site + ",size=standard",
                "GK8S_AGENT_ARTIFACTS_SIGNING_KEY_FILE", signingKey.toString()));
        n.agent().upgradeWith(new BinaryK3s(bin, null, n.ha().k3s()), n.ha().pgSettings(), n.ha().pairView(0),
                Duration.ofSeconds(30));
        return new Node(n.agent(), n.ha(), bin, n.config().stateDir());
    }

    @Test
    void aPairUpgradesStandbyFirstThenSwitchesOverWithoutLosingAnAcknowledgedWrite() throws Exception {
        boolean ready = Files.isExecutable(PgControl.DEBIAN_15.resolve("pg_rewind"))
                && "root".equals(System.getProperty("user.name"));
        if (!ready && System.getenv("GK8S_REQUIRE_DEBIAN_PG") != null) {
            throw new IllegalStateException("PostgreSQL 15 and root are required here");
        }
        Assumptions.assumeTrue(ready, "skipped: needs Debian's postgresql-15 and root; .ci/run provides both");
        IngestProbe.awaitIngestReady();
        String site = "sw-" + UUID.randomUUID().toString().substring(0, 8);
        pair = new PairNodes(site);
        KeyPair fleet = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        Path key = Files.writeString(pair.root.resolve("signing.pem"), "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(fleet.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n");
        byte[] newBinary = Files.readString(STAND_IN).replace("VERSION=" + OLD, "VERSION=" + NEW)
                .getBytes(StandardCharsets.UTF_8);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/k3s", ex -> {
            ex.sendResponseHeaders(200, newBinary.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(newBinary);
            }
        });
        server.start();
        Node a = start(site, "a", "primary", key);
        Node b = start(site, "b", "standby", key);
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> a.ha().database().synchronousState().equals("sync"));
        PairNodes.awaitStandbyEligible(site, Duration.ofSeconds(30));
        a.ha().database().sql("CREATE TABLE acked (id int PRIMARY KEY)");

        Writer writer = new Writer(List.of(a.ha().database(), b.ha().database()));
        Thread w = new Thread(writer, "writer");
        w.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> writer.acked.size() > 20);

        Artifact artifact = new Artifact("k3s", NEW, "http://127.0.0.1:" + server.getAddress().getPort() + "/k3s",
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(newBinary)),
                (long) newBinary.length, null).signedWith(fleet.getPrivate());
        String template = Files.readString(Path.of("../fleet-templates/store-standard.yaml"))
                .replace("name: store-standard", "name: " + site).replace("site-kind: store", "site-kind: " + site)
                .replace("k3s: " + OLD, "k3s: " + NEW)
                + "  backup:\n    schedule: {full: 7d}\n    retention: {full: 2}\n    repository: {path: "
                + pair.root.resolve("repo") + "}\n" // WAL archiving's archive_mode: on, which needs a restart
                + "  artifacts:\n    - name: k3s\n      version: \"" + NEW + "\"\n      url: " + artifact.url()
                + "\n      sha256: " + artifact.sha256() + "\n      size: " + artifact.size() + "\n      signature: "
                + artifact.signature() + "\n";
        given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN).contentType("application/yaml")
                .body(template.getBytes(StandardCharsets.UTF_8)).post("/api/v1/templates").then().statusCode(201);

        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() ->
                step(a).equals("done") && step(b).equals("done")
                        && a.ha().supervisor().state() == PairMachine.State.STANDBY && !a.ha().supervisor().rejoining());
        await().atMost(Duration.ofSeconds(10)).until(() -> writer.acked.size() > writer.ackedAt(NEW_PRIMARY_SEEN) + 20);
        writer.stop.set(true);
        w.join(10_000);

        assertEquals(NEW, new BinaryK3s(a.binary(), null, null).running());
        assertEquals(NEW, new BinaryK3s(b.binary(), null, null).running());
        assertEquals(PairMachine.State.PRIMARY, b.ha().supervisor().state());
        assertEquals(2, b.ha().supervisor().epoch(), "one switchover: epoch + 1");
        try (Connection c = b.ha().database().connect(); Statement st = c.createStatement();
             var rs = st.executeQuery("SELECT count(*) FROM acked WHERE id = ANY('" + writer.ids() + "'::int[])")) {
            rs.next();
            assertEquals(writer.acked.size(), rs.getInt(1), "no acknowledged write lost");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> a.ha().database().receiving());
        // and the hub counts a eligible again: the site can fail over to it (b's peer-ok after the promotion)
        PairNodes.awaitStandbyEligible(site, Duration.ofSeconds(30));
        for (Node n : List.of(a, b)) { // the template's settings, those needing a restart included, live on both
            assertEquals("200", show(n, "max_connections"));
            assertEquals("512MB", show(n, "shared_buffers"));
            assertEquals("15min", show(n, "checkpoint_timeout"));
            assertEquals("on", show(n, "archive_mode"), "a template with backups: WAL archiving on, pair-aware");
        }

        // a setting a reload takes: both nodes apply it where they stand; no switchover (epoch stays 2)
        given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN).contentType("application/yaml")
                .body(template.replace("checkpoint_timeout: 15min", "checkpoint_timeout: 15min\n      work_mem: 8MB")
                        .getBytes(StandardCharsets.UTF_8)).post("/api/v1/templates").then().statusCode(201);
        given().contentType("application/json").body("{\"template\":\"" + site + "\",\"toRevision\":2,"
                + "\"strategy\":{\"canary\":\"100%\",\"soak\":\"PT0S\"}}").post("/api/v1/rollouts").then().statusCode(201);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() ->
                show(a, "work_mem").equals("8MB") && show(b, "work_mem").equals("8MB") && step(a).equals("done")
                        && step(b).equals("done") && UpgradeRecord.load(a.state().resolve("upgrade.json"))
                        .orElseThrow().generation() == 2);
        assertEquals(2, b.ha().supervisor().epoch(), "a reload needs no switchover");
        assertEquals(PairMachine.State.PRIMARY, b.ha().supervisor().state());
        List<String> types = given().get("/api/v1/sites/" + site + "/events?limit=500").then().extract().path("items.type");
        assertTrue(types.contains("ha.switchover") && types.contains("witness.switchover-finished"), types.toString());
        System.out.printf("planned switchover (lease %s ms, peer silence %s ms): %d writes acknowledged, none lost;"
                + " longest gap between two commits %d ms%n", PairTestLease.LEASE_MS, PairTestLease.PEER_SILENCE_MS,
                writer.acked.size(), writer.longestGapMs());
    }

    private static final int NEW_PRIMARY_SEEN = 1;

    private static String show(Node n, String setting) throws Exception {
        try (Connection c = n.ha().database().connect(); Statement st = c.createStatement();
             var rs = st.executeQuery("SHOW " + setting)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static String step(Node n) {
        return UpgradeRecord.load(n.state().resolve("upgrade.json")).map(r -> r.step()).orElse("");
    }

    /** Commits one row at a time on whichever node takes it; remembers the acknowledged ids and when. */
    private static final class Writer implements Runnable {
        final List<PgControl> nodes;
        final ConcurrentLinkedQueue<Integer> acked = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<long[]> times = new ConcurrentLinkedQueue<>();
        final AtomicBoolean stop = new AtomicBoolean();
        volatile int firstOnB = -1;

        Writer(List<PgControl> nodes) {
            this.nodes = nodes;
        }

        @Override
        public void run() {
            int id = 0;
            int current = 0;
            while (!stop.get()) {
                id++;
                boolean done = false;
                for (int tries = 0; tries < nodes.size() && !done; tries++) {
                    PgControl n = nodes.get(current);
                    try (Connection c = n.connect(); Statement st = c.createStatement()) {
                        st.setQueryTimeout(2);
                        st.execute("INSERT INTO acked VALUES (" + id + ")");
                        acked.add(id);
                        times.add(new long[] {id, System.nanoTime()});
                        if (current == 1 && firstOnB < 0) {
                            firstOnB = acked.size();
                        }
                        done = true;
                    } catch (Exception e) {
                        current = (current + 1) % nodes.size();
                    }
                }
                if (!done) {
                    try {
                        Thread.sleep(20); // neither node takes writes (the switchover): try again shortly
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }

        int ackedAt(int which) {
            return Math.max(firstOnB, 0);
        }

        String ids() {
            return "{" + String.join(",", acked.stream().map(String::valueOf).toList()) + "}";
        }

        long longestGapMs() {
            long prev = -1;
            long max = 0;
            for (long[] t : times) {
                if (prev >= 0) {
                    max = Math.max(max, t[1] - prev);
                }
                prev = t[1];
            }
            return max / 1_000_000;
        }
    }
}
