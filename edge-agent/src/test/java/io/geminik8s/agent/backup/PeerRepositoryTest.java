package io.geminik8s.agent.backup;

import static io.geminik8s.agent.backup.PgBackRestTest.text;
import static io.geminik8s.agent.backup.PeerPair.failedCount;
import static io.geminik8s.agent.backup.PeerPair.lastArchived;
import static io.geminik8s.agent.backup.PeerPair.peerHas;
import static io.geminik8s.agent.backup.PeerPair.switchWal;
import static io.geminik8s.agent.backup.PeerPair.STANDBY;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.ha.PairMachine;
import io.geminik8s.agent.pg.PgArchive;
import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.agent.proc.ProcessRunner;
import io.geminik8s.protocol.BackupSpec;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The peer repository with real PostgreSQL 15 and pgBackRest 2.45 (docs/backup.md, "The peer repository"): a
 * primary {@code a} and its streaming standby {@code b}, both running pgBackRest's TLS server with certificates of
 * the site CA both derive from the site secret. WAL reaches both repositories; the standby backs up into the one on
 * its disk from its own replica; strangers are refused by the server; a peer that is dead or hangs never holds WAL
 * back from the central repository; a lone primary pushes to the central one only; and the standby's data is
 * rebuilt from the repository on its own disk.
 */
class PeerRepositoryTest {

    private static final BackupPlanner.Role ALONE = new BackupPlanner.Role(PairMachine.State.ALONE, true);

    private BackupSite site;
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close(); // a PeerPair closes its site
        }
    }

    @Test
    void walReachesBothRepositoriesAndTheStandbyBacksUpIntoItsOwn() throws Exception {
        PeerPair pair = PeerPair.start("gk8s-peer-repo");
        closing.add(pair);
        site = pair.site;
        PgControl a = pair.a;
        PgControl b = pair.b;
        PeerRepository.Side sb = pair.sb;
        PeerRepository onAPeer = pair.onAPeer;
        PeerRepository onBPeer = pair.onBPeer;
        BackupService onA = pair.onA;
        BackupService onB = pair.onB;
        Path peerRepo = pair.peerRepo;
        BackupSpec spec = pair.spec;

        onA.tick(spec, BackupSite.PRIMARY); // archive_mode: one restart
        a.stop();
        a.start();
        assertTrue(onA.tick(spec, BackupSite.PRIMARY).run().orElseThrow().ok(), "the central full backup");
        assertFalse(text(a, "SHOW archive_command").contains("peer-push.conf"), "b's server is not up yet");
        assertEquals(1, site.events("backup.peer-unreachable").size());
        BackupService.Outcome waiting = onB.tick(spec, STANDBY); // b's server up, the stanza made
        assertTrue(waiting.run().isEmpty() && waiting.decision().reason().contains("no WAL yet"),
                waiting.decision().reason());
        onA.tick(spec, BackupSite.PRIMARY);
        assertEquals(1, site.events("backup.peer-reachable").size());
        assertTrue(text(a, "SHOW archive_command").contains("peer-push.conf"), "a primary with a standby that"
                + " answers pushes to the peer too");
        String first = switchWal(a, 0);
        await().atMost(Duration.ofSeconds(30)).until(() -> peerHas(onBPeer, first));
        BackupService.Outcome peerFull = onB.tick(spec, STANDBY);
        assertTrue(peerFull.run().isPresent() && peerFull.run().get().ok(), peerFull.decision().reason() + ": "
                + peerFull.run().map(ProcessRunner.Result::describe).orElse("") + site.events("backup.peer-failed"));
        assertEquals("full", site.events("backup.peer-completed").get(0).attrs().get("type"));
        assertTrue(Files.exists(peerRepo.resolve("backup/site1/backup.info")), "the repository is on b's disk");
        assertTrue(peerLog(b).contains("backup-standby"), "files copied from the standby's replica");
        assertTrue(onB.tick(spec, STANDBY).run().isEmpty(), "nothing due right after the full backup");
        assertTrue(onA.tick(spec, BackupSite.PRIMARY).run().isEmpty(), "the primary never backs up into it");

        // a new segment reaches both repositories
        String seg = switchWal(a, 1);
        await().atMost(Duration.ofSeconds(60)).until(() -> seg.equals(lastArchived(a)));
        await().atMost(Duration.ofSeconds(30)).until(() -> peerHas(onBPeer, seg));

        strangersAreRefused(a, onAPeer);

        // the peer's server killed the way a crash kills it: the central repository still gets every segment
        long failed = failedCount(a);
        ProcessHandle server = onBPeer.server().orElseThrow();
        server.destroyForcibly();
        await().atMost(Duration.ofSeconds(10)).until(() -> !server.isAlive());
        String whileDead = switchWal(a, 2);
        await().atMost(Duration.ofSeconds(30)).until(() -> whileDead.equals(lastArchived(a)));
        assertEquals(failed, failedCount(a), "no archive_command failed: the peer's failure is not PostgreSQL's");

        // that failed push paused the next ones for a minute; the pause ended (as a minute would end it)
        assertTrue(Files.exists(site.tool(a).home().resolve("peer-push-failed")), "the failed push paused the next");
        Files.delete(site.tool(a).home().resolve("peer-push-failed"));
        // a peer that accepts connections and never answers: a segment waits two short timeouts, then goes on
        try (ServerSocket hung = new ServerSocket(sb.tlsPort(), 50, InetAddress.getLoopbackAddress())) {
            List<Socket> held = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(hung.accept()); // never read, never answered
                    }
                } catch (Exception e) {
                    // closed
                }
            });
            acceptor.start();
            long t0 = System.nanoTime();
            String whileHung = switchWal(a, 3);
            await().atMost(Duration.ofSeconds(30)).until(() -> whileHung.equals(lastArchived(a)));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(!held.isEmpty(), "the push reached the hung peer");
            assertTrue(ms < 5L * PeerRepoConf.PUSH_TIMEOUT_S * 1000, "the next segment was held " + ms + " ms");
            System.out.printf("peer repository: PostgreSQL counted a segment archived %d ms after the switch while"
                    + " the peer hung (the central push, then the peer push giving up)%n", ms);
            assertEquals(failed, failedCount(a));

            // the failed push paused the next ones for a minute: without any tick (the backup thread may be busy
            // for hours), the next segment does not wait for the hung peer
            int heldBefore = held.size();
            long t2 = System.nanoTime();
            String paused = switchWal(a, 6);
            await().atMost(Duration.ofSeconds(30)).until(() -> paused.equals(lastArchived(a)));
            long ms2 = (System.nanoTime() - t2) / 1_000_000;
            assertTrue(ms2 < PeerRepoConf.PUSH_TIMEOUT_S * 1000L, "the next segment was held " + ms2 + " ms");
            assertEquals(heldBefore, held.size(), "no push tried during the pause");
            System.out.printf("peer repository: the next segment, pushes paused, archived %d ms after the switch%n",
                    ms2);

            // the primary's next tick finds the peer not answering and takes it out of archive_command: segments
            // and the central backups (which wait for their WAL) no longer wait for it
            onA.tick(spec, BackupSite.PRIMARY);
            assertEquals(2, site.events("backup.peer-unreachable").size(), site.events("backup.peer-unreachable")
                    .toString());
            assertFalse(text(a, "SHOW archive_command").contains("peer-push"));
            long t1 = System.nanoTime();
            String without = switchWal(a, 5);
            await().atMost(Duration.ofSeconds(30)).until(() -> without.equals(lastArchived(a)));
            long ms1 = (System.nanoTime() - t1) / 1_000_000;
            assertTrue(ms1 < PeerRepoConf.PUSH_TIMEOUT_S * 1000L, "archived in " + ms1 + " ms, not held by the peer");
            System.out.printf("peer repository: with the unanswering peer taken out, a segment archived %d ms after"
                    + " the switch%n", ms1);
            assertTrue(onA.runNow(spec, BackupSite.PRIMARY, BackupType.INCR).run().orElseThrow().ok(),
                    "a central backup while the peer hangs");

            // the standby's tick cannot restart its server on a port another process holds: an event, not silence
            int failedBefore = site.events("backup.peer-failed").size();
            onB.tick(spec, STANDBY);
            assertEquals(failedBefore + 1, site.events("backup.peer-failed").size());
            assertTrue(site.events("backup.peer-failed").get(failedBefore).message().contains("exited at once"),
                    site.events("backup.peer-failed").toString());
        }

        // the next ticks restart the dead server and put the peer back into archive_command
        onB.tick(spec, STANDBY);
        assertTrue(onBPeer.server().isPresent(), "restarted");
        onA.tick(spec, BackupSite.PRIMARY);
        assertEquals(2, site.events("backup.peer-reachable").size(), "reachable at first, then again: "
                + site.events("backup.peer-reachable"));
        assertTrue(text(a, "SHOW archive_command").contains("peer-push"));
        String back = switchWal(a, 4);
        await().atMost(Duration.ofSeconds(60)).until(() -> peerHas(onBPeer, back));

        // a lone primary (its standby away) pushes to the central repository only
        onA.tick(spec, ALONE);
        await().atMost(Duration.ofSeconds(10)).until(() -> !text(a, "SHOW archive_command").contains("peer-push"));
        onA.tick(spec, BackupSite.PRIMARY);
        await().atMost(Duration.ofSeconds(10)).until(() -> text(a, "SHOW archive_command").contains("peer-push"));

        // the fast restore: b's data rebuilt from the repository on its own disk, then streaming again — across
        // the segments the peer missed (its server dead, then hung), which the primary no longer has either: the
        // restored standby reads them from the central repository, the second one of its restore file
        for (int i = 10; i < 20; i++) {
            a.sql("INSERT INTO t VALUES (" + i + ")");
        }
        assertFalse(archived(peerRepo, whileDead), "the peer repository missed " + whileDead);
        assertTrue(archived(site.central, whileDead), "the central one has it");
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            a.sql("SELECT pg_switch_wal()");
            a.sql("CHECKPOINT"); // archived segments before the redo point are removed or recycled
            return "0".equals(text(a, "SELECT count(*) FROM pg_ls_waldir() WHERE name = '" + whileDead + "'"));
        });
        BackupRestore.rebuildStandby(b, onBPeer, a); // what standby-rebuild --from peer runs
        await().atMost(Duration.ofSeconds(60)).until(() -> a.streamingTo("b"));
        await().atMost(Duration.ofSeconds(30)).until(() -> text(a, "SELECT string_agg(id::text, ',' ORDER BY id)"
                + " FROM t").equals(text(b, "SELECT string_agg(id::text, ',' ORDER BY id) FROM t")));
        assertTrue(text(b, "SELECT pg_is_in_recovery()").equals("t"));
        assertTrue(Files.readString(b.dataDirectory().resolve("postgresql.auto.conf")).contains("peer-restore.conf"),
                "its restore_command reads the repository on its disk, then the central one");
        assertTrue(site.events("backup.peer-failed").size() == 1, "only the one above: "
                + site.events("backup.peer-failed"));
        assertNoSecretIn(b);
    }

    /**
     * Clients that trust b's server (they hold the site CA's certificate) but show another site's certificate, this
     * site's certificate for another node, or none: b's server refuses each; and a client refuses a server whose
     * certificate another site's CA signed.
     */
    private void strangersAreRefused(PgControl a, PeerRepository own) throws Exception {
        Path realCa = site.tool(a).home().resolve("tls/ca.crt");
        assertTrue(allowed(peerInfo(a, site.tool(a).home().resolve("tls"))), "the probe sees a success when allowed");
        PgArchive files = new PgArchive(a);
        PeerTls.FileWriter writer = PeerTls.FileWriter.of(files);
        Path otherSite = site.root.resolve("tls-other-site");
        PeerTls.ensure(otherSite, new io.geminik8s.agent.pg.PgSecret("77".repeat(32)).password("gk8s-backup-tls-ca"),
                "a", "127.0.0.1", writer);
        ProcessRunner.Result r = peerInfo(a, otherSite);
        assertFalse(allowed(r), "a client trusting another site's CA: " + r.describe());
        assertTrue(r.describe().contains("unable to verify certificate presented by"), r.describe());
        Files.copy(realCa, otherSite.resolve("ca.crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        r = peerInfo(a, otherSite);
        assertFalse(allowed(r), "another site's certificate: " + r.describe());
        Path otherNode = site.root.resolve("tls-other-node");
        PeerTls.ensure(otherNode, BackupKey.tlsCaSeed(BackupSite.SECRET), "c", "127.0.0.1", writer);
        r = peerInfo(a, otherNode);
        assertFalse(allowed(r), "this site's CA, but not the peer's node id: " + r.describe());
        Path none = site.root.resolve("tls-none");
        files.privateDirectory(none);
        Files.copy(realCa, none.resolve("ca.crt"));
        new ProcessBuilder("chown", "-R", "postgres:", none.toString()).start().waitFor();
        r = peerInfo(a, none);
        assertFalse(allowed(r), "no certificate: " + r.describe());
        assertTrue(own.server().isEmpty() || own.server().get().isAlive());
    }

    /** {@code pgbackrest info} exits 0 also when it cannot reach the repository; "status: ok" is the success. */
    private static boolean allowed(ProcessRunner.Result r) {
        return r.ok() && r.stdout().contains("status: ok");
    }

    /** {@code pgbackrest info} against b's repository with a's push file, its TLS files taken from {@code tls}. */
    private ProcessRunner.Result peerInfo(PgControl a, Path tls) throws Exception {
        Path home = site.tool(a).home();
        String conf = Files.readString(home.resolve("peer-push.conf")).replace(home.resolve("tls").toString(),
                tls.toString());
        Path probe = site.root.resolve("probe-" + tls.getFileName() + ".conf");
        new PgArchive(a).privateFile(probe, conf);
        return a.tool(Duration.ofSeconds(60), List.of(PgBackRest.BINARY, "--config=" + probe, "--stanza=site1",
                "info"));
    }

    /** Whether the repository at {@code root} holds WAL segment {@code segment} (any compression, any checksum). */
    private static boolean archived(Path root, String segment) throws Exception {
        try (var files = Files.walk(root.resolve("archive"))) {
            return files.anyMatch(f -> f.getFileName().toString().startsWith(segment + "-"));
        }
    }

    private String peerLog(PgControl b) throws Exception {
        return Files.readString(site.tool(b).home().resolve("log/site1-backup.log"));
    }

    /** The keys are in no log and in no file the data directory carries. */
    private void assertNoSecretIn(PgControl b) throws Exception {
        String key = BackupKey.peer(BackupSite.SECRET);
        try (var files = Files.walk(site.tool(b).home().resolve("log"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertFalse(Files.readString(f).contains(key), f + " holds the key");
            }
        }
        assertFalse(Files.readString(b.dataDirectory().resolve("postgresql.auto.conf")).contains(key));
    }
}
