package io.geminik8s.agent.ha;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.k3s.K3sDriver;
import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.agent.pg.StandbyStatus;
import io.geminik8s.agent.vip.VipControl;
import io.geminik8s.embedded.FreePort;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real site driver on a real PostgreSQL 15 pair (loopback) with each node's VIP in a network namespace of its
 * own; K3s is a recording stand-in (no K3s can be installed here). Fence, promote after a power-off, rejoin.
 */
class NodeDriverTest {

    private final List<String> namespaces = new ArrayList<>();
    private final List<String> k3sCalls = new CopyOnWriteArrayList<>();
    private final List<String> k3sSaw = new CopyOnWriteArrayList<>();
    private Path root;
    private PgControl a;
    private PgControl b;
    private VipControl vipA;
    private VipControl vipB;
    private List<String> vipPrefixA;

    private K3sDriver k3s(String node) {
        return new K3sDriver() {
            public void stop() {
                k3sCalls.add(node + " stop");
                if (node.equals("a") && vipA != null) { // what a fence has done when it reaches K3s
                    k3sSaw.add("vip held " + vipA.held() + ", postgres answers " + a.answers(1));
                }
            }

            public void start() {
                k3sCalls.add(node + " start");
            }

            public void restart() {
                k3sCalls.add(node + " restart");
            }

            public void restartIfWanted() {
                k3sCalls.add(node + " restart-if-wanted");
            }

            public void bumpKineIdSequence() {
                k3sCalls.add(node + " bump");
            }

            public String rotateCertificates() {
                k3sCalls.add(node + " rotate");
                return "rotated";
            }
        };
    }

    private VipControl vipIn(String node) throws Exception {
        String ns = "gk8s-drv-" + node + "-" + ProcessHandle.current().pid();
        assertEquals(0, new ProcessBuilder("ip", "netns", "add", ns).start().waitFor());
        namespaces.add(ns);
        assertEquals(0, new ProcessBuilder("ip", "netns", "exec", ns, "ip", "link", "add", "vip0", "type", "veth",
                "peer", "name", "vip1").start().waitFor());
        assertEquals(0, new ProcessBuilder("ip", "netns", "exec", ns, "ip", "link", "set", "vip0", "up").start()
                .waitFor());
        if (node.equals("a")) {
            vipPrefixA = List.of("ip", "netns", "exec", ns);
        }
        return new VipControl("192.0.2.10/24", "vip0", List.of("ip", "netns", "exec", ns));
    }

    @BeforeEach
    void pair() throws Exception {
        boolean pg = Files.isExecutable(PgControl.DEBIAN_15.resolve("pg_rewind"));
        boolean netns = new ProcessBuilder("ip", "netns", "list").start().waitFor() == 0
                && "root".equals(System.getProperty("user.name"));
        if ((!pg && System.getenv("GK8S_REQUIRE_DEBIAN_PG") != null)
                || (!netns && System.getenv("GK8S_REQUIRE_NETNS") != null)) {
            throw new IllegalStateException("PostgreSQL 15 and network namespaces are required here");
        }
        Assumptions.assumeTrue(pg && netns, "skipped: needs Debian's postgresql-15 and root for network namespaces;"
                + " .ci/run provides both");
        root = Files.createTempDirectory("gk8s-drv");
        new ProcessBuilder("chown", "postgres:", root.toString()).start().waitFor();
        a = new PgControl(PgControl.DEBIAN_15, root.resolve("a"), "127.0.0.1", FreePort.find(), "a", "postgres");
        b = new PgControl(PgControl.DEBIAN_15, root.resolve("b"), "127.0.0.1", FreePort.find(), "b", "postgres");
        a.initPrimary();
        a.sql("CREATE TABLE t (id int)");
        b.cloneFrom(a);
        vipA = vipIn("a");
        vipB = vipIn("b");
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (a != null) {
            a.close();
            b.close();
            try (Stream<Path> files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        for (String ns : namespaces) {
            new ProcessBuilder("ip", "netns", "del", ns).start().waitFor();
        }
    }

    private static void insert(PgControl node, int id) throws SQLException {
        try (Connection c = node.connect(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO t VALUES (" + id + ")");
        }
    }

    @Test
    void fencePromoteAndRejoinDriveThePairThroughAFailover() throws Exception {
        NodeDriver driverA = new NodeDriver(a, b, vipA, k3s("a"));
        NodeDriver driverB = new NodeDriver(b, a, vipB, k3s("b"));
        await().atMost(Duration.ofSeconds(30)).until(driverA::peerStreaming);
        assertFalse(driverB.peerStreaming(), "nobody streams from a standby");
        assertEquals(new StandbyStatus(true, true, false, false), driverA.peerStatus(), "streaming, not yet named");
        driverA.useSyncStandby("b");
        await().atMost(Duration.ofSeconds(30)).until(() -> a.standbyStatus("b").equals(
                new StandbyStatus(true, true, true, true))); // named, and pg_stat_replication says sync
        insert(a, 1); // synchronous: b has it when this returns
        vipA.acquire();
        // a's VIP commands go through a wrapper that notes, for each, whether a's postmaster is still alive
        Path seen = root.resolve("vip-commands");
        Path wrapper = root.resolve("vip-wrapper.sh");
        Files.writeString(wrapper, "#!/bin/sh\nif kill -0 " + a.pid().orElseThrow() + " 2>/dev/null; then s=alive;"
                + " else s=dead; fi\necho \"$* postgres=$s\" >> " + seen + "\nexec \"$@\"\n");
        assertTrue(wrapper.toFile().setExecutable(true));
        List<String> prefix = new ArrayList<>(List.of(wrapper.toString()));
        prefix.addAll(vipPrefixA);
        vipA = new VipControl("192.0.2.10/24", "vip0", prefix);
        driverA = new NodeDriver(a, b, vipA, k3s("a"));

        driverA.fence(1);
        assertTrue(Files.readAllLines(seen).stream().anyMatch(l -> l.contains(" addr del ")
                && l.endsWith("postgres=alive")), "the VIP is released before PostgreSQL is stopped: " + seen);
        assertFalse(vipA.held(), "the VIP is released");
        SQLException refused = assertThrows(SQLException.class, () -> insert(a, 2));
        assertEquals("08001", refused.getSQLState(), "PostgreSQL is stopped: connection refused");
        assertEquals(List.of("a stop"), k3sCalls);
        assertEquals(List.of("vip held false, postgres answers false"), k3sSaw,
                "order: VIP released, PostgreSQL stopped, then K3s stopped");

        a.kill(); // and then the power goes
        driverB.promote(2);
        assertTrue(vipB.held());
        insert(b, 3);
        assertEquals(List.of("a stop", "b restart"), k3sCalls);

        driverA.rejoin(2, "b");
        assertTrue(a.inRecovery());
        assertFalse(vipA.held());
        await().atMost(Duration.ofSeconds(30)).until(driverB::peerStreaming);
        driverB.useSyncStandby("a");
        insert(b, 4);
        // synchronous commit waits for a's flush, not for its replay: the row is visible on a a moment later
        String[] rows = {null};
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
            try (Connection c = a.connect(); Statement st = c.createStatement();
                 var rs = st.executeQuery("SELECT array_agg(id ORDER BY id)::text FROM t")) {
                rs.next();
                rows[0] = rs.getString(1);
                return "{1,3,4}".equals(rows[0]);
            }
        });
        assertEquals("{1,3,4}", rows[0], "the old primary has every write of the new epoch");
        assertEquals(List.of("a stop", "b restart", "a stop", "a start"), k3sCalls);
    }
}
