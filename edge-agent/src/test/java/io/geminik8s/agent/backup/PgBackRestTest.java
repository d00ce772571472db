package io.geminik8s.agent.backup;

import io.geminik8s.protocol.BackupSpec;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.ha.PairMachine;
import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.agent.proc.ProcessRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Real PostgreSQL 15 and pgBackRest 2.45 (issue 16): the agent's service turns WAL archiving on and takes a full
 * backup into the encrypted central repository from the primary only; a point-in-time restore to T keeps the rows
 * committed before T and none after; the standby is re-cloned from the restored primary; backups continue on the new
 * timeline; a wrong key is refused; the configuration is 0600 and no event carries the key.
 */
class PgBackRestTest {

    private BackupSite site;

    @AfterEach
    void cleanUp() throws Exception {
        if (site != null) {
            site.close();
        }
    }

    @Test
    void pointInTimeRestoreKeepsTheRowsBeforeTAndNoneAfter() throws Exception {
        site = BackupSite.create("gk8s-backup");
        PgControl a = site.node("a");
        PgControl b = site.node("b");
        a.initPrimary();
        a.sql("CREATE TABLE t (id int PRIMARY KEY)");
        b.cloneFrom(a);
        BackupService onA = site.service(a);
        BackupService onB = site.service(b);
        BackupSpec spec = site.spec(10);

        // the standby and a fenced node write their configuration but never archive or back up
        BackupService.Outcome standby = onB.tick(spec, new BackupPlanner.Role(PairMachine.State.STANDBY, true));
        assertTrue(standby.run().isEmpty(), standby.decision().reason());
        assertTrue(Files.exists(site.tool(b).configFile()));
        assertTrue(onA.tick(spec, new BackupPlanner.Role(PairMachine.State.FENCED, false)).run().isEmpty());
        assertTrue(site.events("backup.archiving").isEmpty(), "nothing configured on a fenced node");

        // the primary: archive_mode needs one restart, then the first full backup
        BackupService.Outcome first = onA.tick(spec, BackupSite.PRIMARY);
        assertTrue(first.run().isEmpty());
        assertEquals("restart_needed", site.events("backup.archiving").get(0).attrs().get("state"));
        a.stop();
        a.start();
        BackupService.Outcome full = onA.tick(spec, BackupSite.PRIMARY);
        assertTrue(full.run().isPresent() && full.run().get().ok(), full.decision().reason());
        assertEquals(Optional.of(BackupType.FULL), full.decision().type());
        assertEquals("full", site.events("backup.completed").get(0).attrs().get("type"));
        assertTrue(Long.parseLong(site.events("backup.completed").get(0).attrs().get("backupBytes")) > 0);
        assertTrue(onA.tick(spec, BackupSite.PRIMARY).run().isEmpty(), "nothing due right after a full backup");

        // K3s's store (Kine's table in its own database), with a revision a client may have seen
        a.sqlWhereFound(List.of(PgControl.KINE_USER), "CREATE TABLE kine (id bigserial PRIMARY KEY, name text)");
        a.sqlWhereFound(List.of(PgControl.KINE_USER), "INSERT INTO kine (name) VALUES ('/registry/a'), ('/registry/b')");
        // pgBackRest chooses the backup for a target by its stop time in whole seconds: T must come after it
        Instant stop = full.info().lastFull();
        await().atMost(Duration.ofSeconds(5)).until(() -> serverNow(a).isAfter(stop.plusSeconds(1)));
        for (int i = 1; i <= 50; i++) {
            a.sql("INSERT INTO t VALUES (" + i + ")");
        }
        Instant t = serverNow(a);
        for (int i = 51; i <= 100; i++) {
            a.sql("INSERT INTO t VALUES (" + i + ")");
        }
        String segment = text(a, "SELECT pg_walfile_name(pg_switch_wal())");
        await().atMost(Duration.ofSeconds(60)).until(() -> segment.equals(text(a,
                "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")));

        BackupRestore.Took took = BackupRestore.restore(a, site.tool(a), Optional.of(t));
        assertEquals("50 1 50", text(a, "SELECT count(*) || ' ' || min(id) || ' ' || max(id) FROM t"),
                "every row committed before T, none after (restore " + took.restoreMs() + " ms, recovery "
                        + took.recoveryMs() + " ms)");
        assertFalse(a.inRecovery());
        a.sql("INSERT INTO t VALUES (1000)"); // writable again
        assertTrue(took.kineBumped());
        try (Connection c = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + a.port() + "/kine",
                "postgres", BackupSite.SECRET.password("postgres")); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT nextval('kine_id_seq')")) {
            rs.next();
            assertTrue(rs.getLong(1) > 1_000_002, "Kine's next revision is past every one a client saw: "
                    + rs.getLong(1));
        }

        b.recloneFrom(a); // the standby's data belongs to the old timeline
        await().atMost(Duration.ofSeconds(60)).until(() -> a.streamingTo("b"));
        await().atMost(Duration.ofSeconds(30)).until(() -> "51".equals(text(b, "SELECT count(*) FROM t")));

        // backups go on, on the new timeline
        BackupService.Outcome after = onA.runNow(spec, BackupSite.PRIMARY, BackupType.INCR);
        assertTrue(after.run().get().ok(), after.run().get().describe());
        assertEquals(2, after.info().backups());

        assertPrivate(site.tool(a));
        assertWrongKeyRefused();
    }

    @Test
    void backupsGoOnFromTheNewPrimaryAfterAFailover() throws Exception {
        site = BackupSite.create("gk8s-backup-fo");
        PgControl a = site.node("a");
        PgControl b = site.node("b");
        a.initPrimary();
        a.sql("CREATE TABLE t (id int PRIMARY KEY)");
        BackupService onA = site.service(a);
        BackupService onB = site.service(b);
        BackupSpec spec = site.spec(10);
        onA.tick(spec, BackupSite.PRIMARY);
        a.stop();
        a.start();
        assertTrue(onA.tick(spec, BackupSite.PRIMARY).run().orElseThrow().ok());
        b.cloneFrom(a); // after archiving was set up: b's copy has a's archive settings
        onB.tick(spec, new BackupPlanner.Role(PairMachine.State.STANDBY, true));
        a.sql("INSERT INTO t VALUES (1)");
        await().atMost(Duration.ofSeconds(30)).until(() -> "1".equals(text(b, "SELECT count(*) FROM t")));

        a.kill(); // the primary is lost; the standby is promoted (by the HA supervisor in production)
        b.promote();
        b.sql("INSERT INTO t VALUES (2)");
        BackupService.Outcome first = onB.tick(spec, BackupSite.PRIMARY);
        assertTrue(first.run().isEmpty(), "the repository's full backup is a minute old: nothing due ("
                + first.decision().reason() + ")");
        assertTrue(Files.readString(site.root.resolve("b").resolve("postgresql.auto.conf"))
                .contains(site.tool(b).configFile().toString()), "b archives with its own configuration");
        BackupService.Outcome incr = onB.runNow(spec, BackupSite.PRIMARY, BackupType.INCR);
        assertTrue(incr.run().get().ok(), incr.run().get().describe());
        assertEquals(2, incr.info().backups());
        assertTrue(incr.info().archiveMax().startsWith("00000002"), "WAL of b's timeline archived: "
                + incr.info().archiveMax());
        assertEquals(List.of("full", "incr"), site.events("backup.completed").stream()
                .map(e -> e.attrs().get("type")).toList());
    }

    @Test
    void aStandbyIsRebuiltFromTheRepositoryAndThenStreams() throws Exception {
        site = BackupSite.create("gk8s-backup-sb");
        PgControl a = site.node("a");
        PgControl b = site.node("b");
        a.initPrimary();
        a.sql("CREATE TABLE t (id int PRIMARY KEY)");
        BackupService onA = site.service(a);
        BackupSpec spec = site.spec(10);
        onA.tick(spec, BackupSite.PRIMARY);
        a.stop();
        a.start();
        assertTrue(onA.tick(spec, BackupSite.PRIMARY).run().orElseThrow().ok());
        for (int i = 1; i <= 20; i++) {
            a.sql("INSERT INTO t VALUES (" + i + ")"); // after the backup: from the archive or the stream
        }
        a.sql("SELECT pg_switch_wal()");

        // b's disk is new: its configuration as its agent writes it, then the repository's newest backup
        site.service(b).tick(spec, new BackupPlanner.Role(PairMachine.State.STANDBY, true));
        BackupRestore.rebuildStandby(b, site.tool(b), a);
        await().atMost(Duration.ofSeconds(60)).until(() -> a.streamingTo("b"));
        a.sql("INSERT INTO t VALUES (21)");
        await().atMost(Duration.ofSeconds(30)).until(() -> "21".equals(text(b, "SELECT count(*) FROM t")));
        assertTrue(b.inRecovery());
        String auto = Files.readString(site.root.resolve("b").resolve("postgresql.auto.conf"));
        assertTrue(auto.contains("archive-get"), "restored by pgBackRest as a standby: " + auto);
        assertTrue(auto.contains("primary_slot_name = 'gk8s_b'"), auto);
    }

    @Test
    void aSiteWhoseNodesWereBothWipedIsRebuiltFromTheRepository() throws Exception {
        site = BackupSite.create("gk8s-backup-wipe");
        PgControl a = site.node("a");
        PgControl b = site.node("b");
        a.initPrimary();
        a.sql("CREATE TABLE t (id int PRIMARY KEY)");
        BackupService onA = site.service(a);
        BackupSpec spec = site.spec(10);
        onA.tick(spec, BackupSite.PRIMARY);
        a.stop();
        a.start();
        b.cloneFrom(a);
        site.service(b).tick(spec, new BackupPlanner.Role(PairMachine.State.STANDBY, true));
        assertTrue(onA.tick(spec, BackupSite.PRIMARY).run().orElseThrow().ok());
        for (int i = 1; i <= 30; i++) {
            a.sql("INSERT INTO t VALUES (" + i + ")");
        }
        String segment = text(a, "SELECT pg_walfile_name(pg_switch_wal())");
        await().atMost(Duration.ofSeconds(60)).until(() -> segment.equals(text(a,
                "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")));

        a.kill(); // both nodes lost with their disks; their pgbackrest.conf survives here (on fresh machines the
        b.kill(); // agent writes it again from spec.backup and the site's secret, as the standby's tick did)
        for (PgControl n : List.of(a, b)) {
            try (var files = Files.walk(n.dataDirectory())) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        new io.geminik8s.agent.pg.PgArchive(a).privateDirectory(a.dataDirectory());
        BackupRestore.restore(a, site.tool(a), Optional.empty());
        BackupRestore.rebuildStandby(b, site.tool(b), a);
        await().atMost(Duration.ofSeconds(60)).until(() -> a.streamingTo("b"));
        a.sql("INSERT INTO t VALUES (31)");
        await().atMost(Duration.ofSeconds(30)).until(() -> "31".equals(text(b, "SELECT count(*) FROM t")));
        assertEquals("31 31", text(a, "SELECT count(*) || ' ' || max(id) FROM t"), "every archived row, and writable");
    }

    /** The configuration and its folder are the server's OS user's alone; no event or log line carries the key. */
    private void assertPrivate(PgBackRest tool) throws Exception {
        Path conf = tool.configFile();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(conf)));
        assertEquals("postgres", Files.getOwner(conf).getName());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tool.home())));
        String key = BackupKey.of(BackupSite.SECRET);
        assertTrue(Files.readString(conf).contains("repo1-cipher-pass=" + key));
        synchronized (site.events) {
            assertFalse(site.events.isEmpty());
            site.events.forEach(e -> assertFalse((e.message() + e.attrs()).contains(key), e.toString()));
        }
        try (var logs = Files.walk(tool.home().resolve("log"))) {
            for (Path log : logs.filter(Files::isRegularFile).toList()) {
                String text = Files.readString(log);
                assertFalse(text.contains(key), log.toString());
                assertTrue(!text.contains("repo1-cipher-pass=") || text.contains("repo1-cipher-pass=<redacted>"), log
                        .toString());
            }
        }
        String auto = Files.readString(site.root.resolve("a").resolve("postgresql.auto.conf"));
        assertFalse(auto.contains(key), "the data directory (and every copy of it) holds no key");
    }

    /** The same repository with another key: unreadable, and nothing is restored from it. */
    private void assertWrongKeyRefused() throws Exception {
        PgControl x = site.node("x");
        PgBackRest tool = site.tool(x);
        tool.writeConfig(site.spec(10), BackupKey.of(new io.geminik8s.agent.pg.PgSecret("aa".repeat(32))));
        BackupInfo info = tool.info();
        assertFalse(info.ok());
        assertTrue(info.status().contains("unable to load info file"), info.status());
        ProcessRunner.Result restore = tool.restore(Optional.empty());
        assertFalse(restore.ok(), restore.describe());
        assertFalse(Files.exists(site.root.resolve("x").resolve("PG_VERSION")), "nothing restored");
    }

    static Instant serverNow(PgControl pg) throws Exception {
        try (Connection c = pg.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT clock_timestamp()")) {
            rs.next();
            return rs.getTimestamp(1).toInstant();
        }
    }

    static String text(PgControl pg, String query) throws Exception {
        try (Connection c = pg.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
