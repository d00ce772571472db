package io.geminik8s.agent.pg;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real PostgreSQL 15 pair (Debian's packages, installed by .ci/run) on loopback: synchronous replication,
 * primary power-off, promotion, no acknowledged write lost, fencing, and the old primary rejoining by pg_rewind.
 * The same steps run inside network namespaces in the fault-injection harness (issue 3, not built yet).
 */
class PgControlTest {

    private PgPair pair;
    private Path root;
    private PgControl a;
    private PgControl b;

    @BeforeEach
    void pair() throws Exception {
        pair = PgPair.start("gk8s-pg", n -> n);
        root = pair.root;
        a = pair.a;
        b = pair.b;
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (pair != null) {
            pair.close();
        }
    }

    private static int count(PgControl node) throws SQLException {
        try (Connection c = node.connect(); Statement st = c.createStatement();
             var rs = st.executeQuery("SELECT count(*) FROM acked")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void primaryPowerOffPromotionLosesNoAcknowledgedWriteAndTheOldPrimaryRejoinsByRewind() throws Exception {
        try (Connection c = a.connect(); Statement st = c.createStatement()) {
            for (int i = 1; i <= 200; i++) {
                st.execute("INSERT INTO acked VALUES (" + i + ")"); // returns only once b has it (synchronous)
            }
        }
        a.kill();
        long t0 = System.nanoTime();
        b.promote();
        b.sql("INSERT INTO acked VALUES (1000)");
        System.out.printf("promotion of the standby until its first write: %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        assertFalse(b.inRecovery());
        assertEquals(201, count(b), "all 200 acknowledged writes survived the power-off, plus the new one");

        a.rewindFrom(b);
        assertTrue(a.inRecovery(), "the old primary is a standby now");
        b.setSynchronousStandby("a");
        await().atMost(Duration.ofSeconds(30)).until(() -> b.synchronousState().equals("sync"));
        b.sql("INSERT INTO acked VALUES (1001)");
        await().atMost(Duration.ofSeconds(10)).until(() -> count(a) == 202);
    }

    @Test
    void aFencedPrimaryCommitsNothingWhateverAClientSetsAndRejoinsAsStandbyLater() throws Exception {
        // the old fence (read-only default) does not hold against a client that overrides it: this client would see it
        a.sql("ALTER SYSTEM SET default_transaction_read_only = on");
        a.sql("SELECT pg_reload_conf()");
        OverridingClient.commit(a, 1);
        a.sql("ALTER SYSTEM RESET default_transaction_read_only");
        a.sql("SELECT pg_reload_conf()");

        try (OverridingClient client = OverridingClient.start(a, 100)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> client.acknowledged() > 0);
            long t0 = System.nanoTime();
            a.fence();
            long fenced = System.nanoTime();
            System.out.printf("fence of a healthy PostgreSQL: %d ms%n", (fenced - t0) / 1_000_000);
            assertTrue(fenced - t0 < TimeUnit.SECONDS.toNanos(3), "a fence is quick");
            long attemptsAtFence = client.attempts();
            await().atMost(Duration.ofSeconds(10)).until(() -> client.attempts() >= attemptsAtFence + 20);
            assertEquals(0, client.acknowledgedAfter(fenced), "no commit acknowledged after the fence");
        }
        assertFalse(a.answers(1));

        b.promote(); // the next epoch's holder; the fenced node rejoins it as standby (pg_rewind after a crash)
        b.sql("INSERT INTO acked VALUES (100000)");
        a.rewindFrom(b);
        assertTrue(a.inRecovery(), "the fenced node is a standby now");
        b.setSynchronousStandby("a");
        await().atMost(Duration.ofSeconds(30)).until(() -> b.synchronousState().equals("sync"));
        b.sql("INSERT INTO acked VALUES (100001)");
        await().atMost(Duration.ofSeconds(10)).until(() -> count(a) == count(b));
    }

    @Test
    void aFrozenPrimaryIsFencedByKillingItAndARestartBringsItBackWithEveryRow() throws Exception {
        a.sql("INSERT INTO acked VALUES (1)");
        long pid = a.pid().orElseThrow();
        try (OverridingClient client = OverridingClient.start(a, 100)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> client.acknowledged() > 0);
            signal("STOP", pid); // the postmaster and all its backends: a hung server, a commit in flight hangs
            assertFalse(a.answers(1));
            long t0 = System.nanoTime();
            assertTimeoutPreemptively(Duration.ofSeconds(20), a::fence, "a fence never hangs on its database");
            long fenced = System.nanoTime();
            System.out.printf("fence of a frozen PostgreSQL: %d ms%n", (fenced - t0) / 1_000_000);
            assertTrue(fenced - t0 < TimeUnit.SECONDS.toNanos(3), "a fence is quick, also on a frozen server");
            assertTrue(ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true), "killed: it cannot come back");
            long attemptsAtFence = client.attempts();
            await().atMost(Duration.ofSeconds(10)).until(() -> client.attempts() >= attemptsAtFence + 20);
            assertEquals(0, client.acknowledgedAfter(fenced), "no commit acknowledged after the fence");
        }
        assertFalse(a.answers(1));

        a.start(); // crash recovery; the fence is in postgresql.auto.conf: whatever starts it, it refuses writes
        IllegalStateException readOnly = assertThrows(IllegalStateException.class,
                () -> a.sql("INSERT INTO acked VALUES (0)"));
        assertTrue(readOnly.getMessage().contains("read-only"), readOnly.getMessage());
        a.unfence(); // the witness confirmed the epoch
        int before = count(a);
        assertTrue(before > 1, "every acknowledged row is back");
        signal("STOP", a.pid().orElseThrow());
        assertTimeoutPreemptively(Duration.ofSeconds(30), a::restart);
        assertTrue(a.answers(2));
        a.sql("INSERT INTO acked VALUES (0)"); // still synchronous with b: returns only once b has it
        assertEquals(before + 1, count(a));
    }

    @Test
    void unfenceStartsAServerTheFenceStopped() throws Exception {
        a.fence();
        assertFalse(a.answers(1));
        a.unfence();
        a.sql("INSERT INTO acked VALUES (1)");
        assertEquals(1, count(a));
    }

    @Test
    void aRecloneReplacesTheStandbysDataWithAFreshCopy() throws Exception {
        for (int i = 1; i <= 20; i++) {
            a.sql("INSERT INTO acked VALUES (" + i + ")");
        }
        b.recloneFrom(a);
        assertTrue(b.inRecovery());
        await().atMost(Duration.ofSeconds(30)).until(() -> a.synchronousState().equals("sync"));
        a.sql("INSERT INTO acked VALUES (21)");
        await().atMost(Duration.ofSeconds(10)).until(() -> count(b) == 21);
        assertFalse(Files.exists(DataSwap.fresh(root.resolve("b"))));
        assertFalse(Files.exists(DataSwap.old(root.resolve("b"))));
    }

    /**
     * A primary whose configuration still carries a point-in-time restore's recovery settings (a site rebuilt to a
     * moment T: its server is copied while in recovery or before the settings are reset): a standby cloned from it
     * must not inherit them, or it stops following at the first commit after T and promotes itself — a second writer
     * (RebuildPairTest's rebuild to T saw its standby never become synchronous). Also a setting written by hand (mixed
     * case, a tab before the {@code =}) and a copied recovery.signal.
     */
    @Test
    void aCopyOfAPrimaryWithARestoresRecoveryTargetFollowsAndNeverPromotesItself() throws Exception {
        a.sql("ALTER SYSTEM SET recovery_target_time = '2020-01-01 00:00:00+00'");
        a.sql("ALTER SYSTEM SET recovery_target_timeline = 'current'");
        a.sql("ALTER SYSTEM SET restore_command = 'false'");
        Files.writeString(root.resolve("a").resolve("postgresql.auto.conf"), "Recovery_Target_Action\t= 'promote'\n",
                java.nio.file.StandardOpenOption.APPEND); // read by the copy's server, not by a (no reload)
        Files.writeString(root.resolve("a").resolve("recovery.signal"), "");
        b.recloneFrom(a);
        try (Connection c = a.connect(); Statement st = c.createStatement()) {
            st.execute("SET synchronous_commit = local"); // a standby that promoted itself would hold these forever
            for (int i = 1; i <= 3; i++) { // commits after T: each one would end a recovery that inherited the target
                st.execute("INSERT INTO acked VALUES (" + i + ")");
            }
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> count(b) == 3);
        assertTrue(b.inRecovery(), "the copy is a standby, not a writer");
        await().atMost(Duration.ofSeconds(30)).until(() -> a.synchronousState().equals("sync"));
        try (Connection c = b.connect(); Statement st = c.createStatement(); var rs = st.executeQuery("SELECT count(*)"
                + " FROM pg_file_settings WHERE lower(name) LIKE 'recovery_target%' OR lower(name) = 'restore_command'")) {
            rs.next();
            assertEquals(0, rs.getInt(1), "no recovery setting of the source's restore in the copy");
        }
        assertFalse(Files.exists(root.resolve("b").resolve("recovery.signal")), "no recovery.signal in the copy");
    }

    @Test
    void aBaseBackupThatFailsHalfWayLeavesTheOldDataAndTheStandbyComesBackOnIt() throws Exception {
        a.sql("INSERT INTO acked VALUES (1)");
        await().atMost(Duration.ofSeconds(10)).until(() -> count(b) == 1);
        b.stop();
        // a pg_basebackup that writes part of a copy, then loses its peer
        Path fakeBin = Files.createDirectories(root.resolve("fake-bin"));
        Path tool = fakeBin.resolve("pg_basebackup");
        Files.writeString(tool, "#!/bin/sh\nwhile [ $# -gt 0 ]; do [ \"$1\" = -D ] && d=$2; shift; done\n"
                + "mkdir -p \"$d\" && echo partial > \"$d/PG_VERSION\"\necho 'server closed the connection' >&2\n"
                + "exit 1\n");
        tool.toFile().setExecutable(true, false);
        Path data = root.resolve("b");
        String before = Files.readString(data.resolve("PG_VERSION"));
        long files;
        try (Stream<Path> s = Files.walk(data)) {
            files = s.count();
        }
        PgControl failing = new PgControl(fakeBin, data, "127.0.0.1", 1, "b", "postgres");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> failing.recloneFrom(a));
        assertTrue(e.getMessage().contains("server closed the connection"), e.getMessage());
        assertEquals(before, Files.readString(data.resolve("PG_VERSION")));
        try (Stream<Path> s = Files.walk(data)) {
            assertEquals(files, s.count(), "not a file of the old data touched");
        }
        assertFalse(Files.exists(DataSwap.fresh(data)), "the partial copy is gone");
        b.start();
        a.sql("INSERT INTO acked VALUES (2)"); // synchronous: returns only once b streams again
        // synchronous_commit = on waits for b's flush, not its replay: visible on b a moment later
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).until(() -> count(b) == 2);
    }

    /** Signals a process and all its descendants. */
    private static void signal(String signal, long pid) throws Exception {
        ProcessHandle root = ProcessHandle.of(pid).orElseThrow();
        for (ProcessHandle h : java.util.stream.Stream.concat(Stream.of(root), root.descendants()).toList()) {
            new ProcessBuilder("kill", "-" + signal, Long.toString(h.pid())).start().waitFor();
        }
    }
}
