package io.geminik8s.agent.backup;

import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.agent.proc.ProcessRunner;
import io.geminik8s.protocol.Severity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The last restore test (docs/backup.md): the repository's newest backup restored into a scratch directory beside
 * the node's data ({@code <pg.data>.restore-test}), started on loopback, and checked: it reaches consistency with
 * the archived WAL it needs, pauses there still in recovery (never promoted: no new timeline, nothing written), has
 * its databases and catalog, archiving off (pgBackRest's {@code --archive-mode=off}, checked before anything is
 * trusted: a scratch server must never push WAL into the site's repository). Then it is killed and deleted. What
 * operators trust: a backup that was actually restored and started, not one whose checksums were read.
 * Runs on the backup thread, best on the standby (the command goes there).
 */
public final class RestoreTest {

    private final PgBackRest tool;
    private final BackupService.Events events;

    public RestoreTest(PgBackRest tool, BackupService.Events events) {
        this.tool = tool;
        this.events = events;
    }

    /** Runs the test; what it found (journaled as {@code backup.restore-tested}), or throws (…-test-failed). */
    public String run() {
        PgControl pg = tool.database();
        Path scratch = Path.of(pg.dataDirectory() + ".restore-test");
        long started = System.nanoTime();
        Map<String, String> attrs = new LinkedHashMap<>();
        PgControl copy = pg.scratch(scratch, freePort(), pg.name() + "-restore-test");
        try {
            clean(scratch);
            Files.createDirectories(scratch);
            owned(pg, scratch);
            BackupInfo info = tool.info();
            attrs.put("label", String.valueOf(info.lastLabel()));
            ProcessRunner.Result r = tool.run(PgBackRest.BACKUP_TIMEOUT, "restore", "--pg1-path=" + scratch,
                    "--type=immediate", "--target-action=pause", "--archive-mode=off").orThrow();
            attrs.put("restoreMs", Long.toString(r.tookMs()));
            long t = System.nanoTime();
            copy.start();
            String found = check(copy);
            attrs.put("startMs", Long.toString((System.nanoTime() - t) / 1_000_000));
            attrs.put("tookMs", Long.toString((System.nanoTime() - started) / 1_000_000));
            String done = "backup " + info.lastLabel() + " restored and started in " + attrs.get("tookMs") + " ms: "
                    + found;
            events.event("backup.restore-tested", Severity.INFO, done, attrs);
            return done;
        } catch (IOException | RuntimeException e) {
            String why = String.valueOf(e.getMessage());
            events.event("backup.restore-test-failed", Severity.WARNING, why.length() > 500
                    ? why.substring(why.length() - 500) : why, attrs);
            throw e instanceof RuntimeException re ? re : new UncheckedIOException((IOException) e);
        } finally {
            copy.close(); // killed: a scratch copy
            try {
                clean(scratch);
            } catch (IOException e) {
                events.event("backup.restore-test-failed", Severity.WARNING, "scratch " + scratch + " not removed: "
                        + e.getMessage(), Map.of());
            }
        }
    }

    /** Archiving off first (else it is killed at once), then still in recovery, paused, with its catalog. */
    private static String check(PgControl copy) {
        try (Connection c = copy.connect(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SHOW archive_mode")) {
                rs.next();
                if (!rs.getString(1).equals("off")) {
                    copy.close();
                    throw new IllegalStateException("the scratch copy had archive_mode " + rs.getString(1)
                            + ": killed");
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery(), (SELECT count(*) FROM pg_database),"
                    + " (SELECT count(*) FROM pg_class), pg_last_wal_replay_lsn()::text")) {
                rs.next();
                if (!rs.getBoolean(1) || rs.getLong(2) < 3 || rs.getLong(3) < 100 || rs.getString(4) == null) {
                    throw new IllegalStateException("the scratch copy does not look restored: in recovery "
                            + rs.getBoolean(1) + ", " + rs.getLong(2) + " databases, " + rs.getLong(3) + " relations");
                }
                return rs.getLong(2) + " databases, " + rs.getLong(3) + " relations, replayed to " + rs.getString(4);
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("the scratch copy does not answer: " + e.getMessage(), e);
        }
    }

    private static void clean(Path scratch) throws IOException {
        for (Path p : List.of(scratch, Path.of(scratch + ".tls"))) {
            if (Files.exists(p)) {
                try (Stream<Path> all = Files.walk(p)) {
                    for (Path f : all.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(f);
                    }
                }
            }
        }
    }

    private static void owned(PgControl pg, Path dir) throws IOException {
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        if (pg.osUser() != null && "root".equals(System.getProperty("user.name"))) {
            var lookup = dir.getFileSystem().getUserPrincipalLookupService();
            Files.setOwner(dir, lookup.lookupPrincipalByName(pg.osUser()));
            Files.getFileAttributeView(dir, java.nio.file.attribute.PosixFileAttributeView.class)
                    .setGroup(lookup.lookupPrincipalByGroupName(pg.osUser()));
        }
    }

    private static int freePort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
