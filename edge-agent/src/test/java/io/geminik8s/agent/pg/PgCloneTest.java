package io.geminik8s.agent.pg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Re-cloning without a live server: a peer that never answers, and the states a crash can leave behind. */
class PgCloneTest {

    @TempDir
    Path dir;

    @Test
    void aBaseBackupFromAPeerThatNeverAnswersGivesUpAtTheConnectTimeout() throws Exception {
        boolean installed = Files.isExecutable(PgControl.DEBIAN_15.resolve("pg_basebackup"));
        if (!installed && System.getenv("GK8S_REQUIRE_DEBIAN_PG") != null) { // .ci/run: a skip is no evidence
            throw new IllegalStateException("PostgreSQL 15 from Debian is required here (GK8S_REQUIRE_DEBIAN_PG)");
        }
        Assumptions.assumeTrue(installed, "skipped: needs Debian's postgresql-15");
        // the kernel completes the TCP handshake on the listening socket; nobody ever sends PostgreSQL's answer
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            PgControl peer = new PgControl(PgControl.DEBIAN_15, null, "127.0.0.1", silent.getLocalPort(), "a", null);
            PgControl local = new PgControl(PgControl.DEBIAN_15, dir.resolve("data"), "127.0.0.1", 1, "b", null);
            long t0 = System.nanoTime();
            IllegalStateException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> assertThrows(IllegalStateException.class, () -> new PgStandby(local).basebackup(peer, dir.resolve("copy"))));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < (PgControl.CONNECT_TIMEOUT_S + 3) * 1000L, "gave up after " + ms + " ms: " + e.getMessage());
            assertFalse(e.getMessage().contains("timed out"), "libpq's timeout, not the runner's: " + e.getMessage());
        }
    }

    @Test
    void aFailedRecloneLeavesTheDataDirectoryUntouched() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve("PG_VERSION"), "15\n");
        Files.writeString(data.resolve("rows"), "every acknowledged row");
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            PgControl peer = new PgControl(PgControl.DEBIAN_15, null, "127.0.0.1", silent.getLocalPort(), "a", null);
            PgControl local = new PgControl(PgControl.DEBIAN_15, data, "127.0.0.1", 1, "b", null);
            IllegalStateException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> assertThrows(IllegalStateException.class, () -> local.recloneFrom(peer)));
            assertTrue(e.getMessage().contains("left as it was"), e.getMessage());
        }
        assertEquals("15\n", Files.readString(data.resolve("PG_VERSION")));
        assertEquals("every acknowledged row", Files.readString(data.resolve("rows")));
        assertFalse(Files.exists(DataSwap.fresh(data)), "no half copy left behind");
        assertFalse(Files.exists(DataSwap.old(data)));
    }

    @Test
    void aSwapReplacesTheDataAndDeletesTheOldCopy() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve("rows"), "old");
        Path fresh = Files.createDirectories(DataSwap.fresh(data));
        Files.writeString(fresh.resolve("rows"), "new");
        DataSwap.swapIn(fresh, data);
        assertEquals("new", Files.readString(data.resolve("rows")));
        assertFalse(Files.exists(fresh));
        assertFalse(Files.exists(DataSwap.old(data)));
    }

    @Test
    void aCrashBetweenTheRenamesPutsTheOldDataBack() throws Exception {
        Path data = dir.resolve("data");
        Path old = Files.createDirectories(DataSwap.old(data)); // data renamed aside, the copy not yet renamed in
        Files.writeString(old.resolve("rows"), "old");
        Files.writeString(Files.createDirectories(DataSwap.fresh(data)).resolve("rows"), "maybe incomplete");
        DataSwap.recover(data);
        assertEquals("old", Files.readString(data.resolve("rows")));
        assertFalse(Files.exists(old));
        assertFalse(Files.exists(DataSwap.fresh(data)));
    }

    @Test
    void aCrashAfterTheSwapKeepsTheNewDataAndDeletesTheOld() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve("rows"), "new");
        Files.writeString(Files.createDirectories(DataSwap.old(data)).resolve("rows"), "old");
        DataSwap.recover(data);
        assertEquals("new", Files.readString(data.resolve("rows")));
        assertFalse(Files.exists(DataSwap.old(data)));
    }
}
