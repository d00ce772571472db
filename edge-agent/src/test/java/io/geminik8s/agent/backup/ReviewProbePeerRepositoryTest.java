package io.geminik8s.agent.backup;

import static io.geminik8s.agent.backup.PgBackRestTest.text;
import static io.geminik8s.agent.backup.PeerPair.failedCount;
import static io.geminik8s.agent.backup.PeerPair.lastArchived;
import static io.geminik8s.agent.backup.PeerPair.peerHas;
import static io.geminik8s.agent.backup.PeerPair.switchWal;
import static io.geminik8s.agent.backup.PeerPair.STANDBY;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.embedded.FreePort;
import io.geminik8s.protocol.BackupSpec;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A reviewer's probes of the peer repository (docs/backup.md), kept as tests: each failed while the problem it
 * names existed, with real PostgreSQL 15 and pgBackRest 2.45.
 */
class ReviewProbePeerRepositoryTest {

    private BackupSite site;
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close(); // a PeerPair closes its site
        }
    }

    /**
     * A peer repository that cannot be set up (here: its server's port held by another process, so the server exits
     * at once) is an event; the central repository's archiving goes on. Found with "db1" as pg.host, which the
     * certificate took for an IP address and the exception stopped every tick before the central work.
     */
    @Test
    void aPeerProblemDoesNotStopTheCentralArchiving() throws Exception {
        site = BackupSite.create("gk8s-peer-probe-central");
        closing.add(site);
        PgControl a = site.node("a");
        a.initPrimary();
        PeerRepository.Side sa = new PeerRepository.Side("a", "db1", FreePort.find(),
                a.dataDirectory().toAbsolutePath(), a.port(), site.root.resolve("a.sock"));
        PeerRepository.Side sb = new PeerRepository.Side("b", "127.0.0.1", FreePort.find(),
                a.dataDirectory().toAbsolutePath(), a.port(), site.root.resolve("a.sock"));
        PeerRepository onAPeer = new PeerRepository(site.tool(a), sa, sb);
        ServerSocket held = new ServerSocket(sa.tlsPort(), 50, InetAddress.getLoopbackAddress());
        closing.add(held);
        closing.add(onAPeer);
        BackupService onA = site.service(a).withPeer(onAPeer, BackupKey.peer(BackupSite.SECRET),
                BackupKey.tlsCaSeed(BackupSite.SECRET));
        BackupSpec spec = BackupSpec.parse(Map.of("schedule", Map.of("full", "7d"), "retention", Map.of("full", 2),
                "repository", Map.of("path", site.central.toString()),
                "peerRepository", Map.of("path", site.root.resolve("peer-repo").toString())));
        RuntimeException thrown = null;
        try {
            onA.tick(spec, BackupSite.PRIMARY);
        } catch (RuntimeException e) {
            thrown = e;
            System.out.println("probe: the primary's tick threw " + e);
        }
        String mode = text(a, "SELECT setting FROM pg_file_settings WHERE name = 'archive_mode'"
                + " UNION ALL SELECT 'unset' LIMIT 1");
        assertTrue(thrown == null && "on".equals(mode), "central archiving configured despite the peer's"
                + " problem (archive_mode in the files: " + mode + ", thrown: " + thrown + ")");
        assertTrue(site.events("backup.peer-failed").get(0).message().contains("exited at once"),
                site.events("backup.peer-failed").toString());
    }

    /**
     * The peer's server alive but stopped (SIGSTOP: a hung disk under it does the same): the primary's next tick
     * takes the peer out of archive_command, so segments and a central full backup behind a burst of WAL do not wait
     * for it; the standby's next tick finds its own server not answering a handshake and starts it anew; a standby then rebuilt from the peer repository reads what that repository missed from the central one
     * and streams. Before: each segment waited ~6.3 s however many ticks passed, the central backup failed after
     * its 60 s archive timeout, and the rebuilt standby never caught up.
     */
    @Test
    void aHungPeerServerHoldsNothingBackAndARebuildFromItCatchesUp() throws Exception {
        PeerPair pair = PeerPair.start("gk8s-peer-probe");
        closing.add(pair);
        site = pair.site;
        PgControl a = pair.a;
        PgControl b = pair.b;
        PeerRepository.Side sa = pair.sa;
        PeerRepository.Side sb = pair.sb;
        PeerRepository onAPeer = pair.onAPeer;
        PeerRepository onBPeer = pair.onBPeer;
        BackupService onA = pair.onA;
        BackupService onB = pair.onB;
        BackupSpec spec = pair.spec;
        onA.tick(spec, BackupSite.PRIMARY);
        a.stop();
        a.start();
        assertTrue(onA.tick(spec, BackupSite.PRIMARY).run().orElseThrow().ok(), "the central full backup");
        onB.tick(spec, STANDBY); // b's server up and the stanza made; the primary's next tick pushes to it
        onA.tick(spec, BackupSite.PRIMARY);
        String firstSeg = switchWal(a, 0);
        await().atMost(Duration.ofSeconds(30)).until(() -> peerHas(onBPeer, firstSeg));
        BackupService.Outcome peerFull = onB.tick(spec, STANDBY);
        assertTrue(peerFull.run().isPresent() && peerFull.run().get().ok(), peerFull.decision().reason()
                + site.events("backup.peer-failed"));

        // (1) the agent killed -9 and started again: a new PeerRepository over the same files
        ProcessHandle old = onBPeer.server().orElseThrow();
        System.out.println("review probe: server command line " + old.info().commandLine());
        PeerRepository again = new PeerRepository(site.tool(b), sb, sa);
        closing.add(again);
        BackupService onB2 = pair.service(again);
        onB2.tick(spec, STANDBY);
        await().atMost(Duration.ofSeconds(10)).until(() -> !old.isAlive());
        ProcessHandle server = again.server().orElseThrow();
        String seg = switchWal(a, 1);
        await().atMost(Duration.ofSeconds(60)).until(() -> peerHas(again, seg));

        // (2) the peer's server alive but hung
        long failed = failedCount(a);
        signal("STOP", server.pid());
        long[] heldMs = new long[3];
        long centralMs = -1;
        boolean centralOk = false;
        try {
            // the primary's tick first: it finds the peer not answering and takes it out of archive_command
            onA.tick(spec, BackupSite.PRIMARY);
            for (int i = 0; i < heldMs.length; i++) {
                long t0 = System.nanoTime();
                String s = switchWal(a, 10 + i);
                await().atMost(Duration.ofSeconds(60)).until(() -> s.equals(lastArchived(a)));
                heldMs[i] = (System.nanoTime() - t0) / 1_000_000;
            }
            System.out.printf("review probe: segments archived %d, %d, %d ms after their switch, the peer's server"
                    + " stopped, after a tick of both nodes; the server alive: %s%n", heldMs[0], heldMs[1], heldMs[2],
                    server.isAlive());
            assertEquals(failed, failedCount(a));
            // a burst of WAL (12 segments) queued behind the hung peer, then the central full backup
            for (int i = 0; i < 12; i++) {
                switchWal(a, 100 + i);
            }
            long t1 = System.nanoTime();
            BackupService.Outcome central = onA.runNow(spec, BackupSite.PRIMARY, BackupType.FULL);
            centralMs = (System.nanoTime() - t1) / 1_000_000;
            centralOk = central.run().map(io.geminik8s.agent.proc.ProcessRunner.Result::ok).orElse(false);
            System.out.printf("review probe: the central full backup behind 12 queued segments, the peer hung: ok=%s after"
                    + " %d ms: %s%n", centralOk, centralMs, central.run().map(
                    io.geminik8s.agent.proc.ProcessRunner.Result::describe).orElse(central.decision().reason()));
            // the standby's tick: its own server does not answer a handshake; it is killed and started anew
            onB2.tick(spec, STANDBY);
            assertTrue(again.server().isPresent() && again.server().get().pid() != server.pid(),
                    "a new server: " + again.server());
            await().atMost(Duration.ofSeconds(10)).until(() -> !server.isAlive());
            onA.tick(spec, BackupSite.PRIMARY);
            assertEquals(2, site.events("backup.peer-reachable").size(), "the peer back in: "
                    + site.events("backup.peer-reachable"));
        } finally {
            if (server.isAlive()) {
                signal("CONT", server.pid());
            }
        }

        // (3) the rebuild from the peer repository, and the restore_command it leaves
        for (int i = 20; i < 30; i++) {
            a.sql("INSERT INTO t VALUES (" + i + ")");
        }
        BackupRestore.rebuildStandby(b, again, a);
        boolean streams = true;
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> a.streamingTo("b"));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            streams = false;
            List<String> log = Files.readAllLines(site.root.resolve("b-postgres.log"));
            System.out.println("review probe: b does not stream 60 s after the rebuild from the peer repository; its log:\n"
                    + String.join("\n", log.subList(Math.max(0, log.size() - 25), log.size())));
            System.out.println("review probe: the peer repository's WAL: " + again.info().archiveMax() + "; a's pg_wal: "
                    + text(a, "SELECT string_agg(name, ' ' ORDER BY name) FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$'"));
        }
        assertTrue(streams, "the standby rebuilt from the peer repository never caught up: the WAL it needs is in"
                + " neither the peer repository (the segments the hung peer missed) nor the primary's pg_wal");
        String restoreCommand = text(b, "SHOW restore_command");
        System.out.println("review probe: restore_command = " + restoreCommand);
        Path out = site.root.resolve("fetched-" + seg);
        var r = b.tool(Duration.ofSeconds(60), List.of("/bin/sh", "-c", restoreCommand.replace("%f", seg)
                .replace("%p", out.toString())));
        System.out.println("review probe: restore_command run: " + r.describe());
        boolean fetched = r.ok() && Files.exists(out);

        assertTrue(fetched, "the standby's restore_command fetches " + seg + " from the peer repository: "
                + r.describe());
        assertTrue(centralOk, "the central full backup failed because WAL queued behind the hung peer ("
                + centralMs + " ms)");
        for (long ms : heldMs) {
            assertTrue(ms < PeerRepoConf.PUSH_TIMEOUT_S * 1000L, "a hung (alive) peer server still holds each"
                    + " segment " + ms + " ms after both nodes ticked");
        }
    }

    private static void signal(String sig, long pid) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).inheritIO().start().waitFor());
    }
}
