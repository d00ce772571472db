package io.geminik8s.agent.backup;

import io.geminik8s.protocol.BackupSpec;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.pg.PgArchive;
import io.geminik8s.agent.pg.PgControl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * RPO and RTO when a site loses its data and only the central repository is left (docs/backup.md): a writer commits
 * 100 rows a second, acknowledging each; after a random 1-2 archive_timeouts the primary is killed (SIGKILL) and its
 * data directory deleted, WAL not yet archived included; the site is restored from the repository to the last
 * archived WAL. Lost = acknowledged rows missing (the restored rows must be a prefix: nothing after a gap); RTO = the
 * restore and recovery until the server accepts writes. One run here; {@code -Dgk8s.backup.runs=3} for the table in
 * docs/backup.md (appended to target/backup-rpo-rto.txt).
 */
class BackupRpoRtoTest {

    private static final int ARCHIVE_TIMEOUT_S = Integer.getInteger("gk8s.backup.archive-timeout", 10);
    private static final int RATE = 100;

    @Test
    void writesLostAreBoundedByTheArchiveTimeout() throws Exception {
        int runs = Integer.getInteger("gk8s.backup.runs", 1);
        for (int run = 1; run <= runs; run++) {
            try (BackupSite site = BackupSite.create("gk8s-rpo")) {
                measure(site, run);
            }
        }
    }

    private void measure(BackupSite site, int run) throws Exception {
        PgControl a = site.node("a");
        a.initPrimary();
        a.sql("CREATE TABLE w (id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())");
        BackupService service = site.service(a);
        BackupSpec spec = site.spec(ARCHIVE_TIMEOUT_S);
        service.tick(spec, BackupSite.PRIMARY);
        a.stop();
        a.start();
        assertTrue(service.tick(spec, BackupSite.PRIMARY).run().orElseThrow().ok());

        AtomicLong acked = new AtomicLong();
        AtomicLong ackedAtMs = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        Thread writer = new Thread(() -> write(a, acked, ackedAtMs, stop), "rpo-writer");
        long writingSinceMs = System.currentTimeMillis();
        writer.start();
        long killAfter = (long) (RATE * ARCHIVE_TIMEOUT_S * (1 + Math.random()));
        await().atMost(Duration.ofSeconds(3L * ARCHIVE_TIMEOUT_S + 30)).until(() -> acked.get() >= killAfter);
        a.kill(); // power-off
        stop.set(true);
        writer.join(30_000);
        long lastAcked = acked.get();
        long lastAckedAt = ackedAtMs.get();
        try (Stream<Path> files = Files.walk(site.root.resolve("a"))) { // the disk is lost, WAL not archived with it
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        new PgArchive(a).privateDirectory(site.root.resolve("a"));

        long t0 = System.nanoTime();
        BackupRestore.Took took = BackupRestore.restore(a, site.tool(a), Optional.empty());
        a.sql("INSERT INTO w (id) VALUES (-1)"); // writable
        long rtoMs = (System.nanoTime() - t0) / 1_000_000;
        String[] kept = PgBackRestTest.text(a, "SELECT count(*) || ' ' || coalesce(max(id), 0) || ' ' || coalesce("
                + "(extract(epoch FROM max(at)) * 1000)::bigint, 0) FROM w WHERE id > 0").split(" ");
        long present = Long.parseLong(kept[0]);
        assertEquals(present, Long.parseLong(kept[1]), "the restored rows are a prefix of those committed");
        long lostRows = lastAcked - present;
        // from the newest restored row's commit; with none restored (the kill came before the first segment switch
        // after the backup was archived), from the writer's start: every write since is lost
        long lostMs = lastAckedAt - (present > 0 ? Long.parseLong(kept[2]) : writingSinceMs);
        String line = String.format("run %d: archive_timeout %d s, %d rows acknowledged, %d lost (%.1f s of writes),"
                        + " RTO %.2f s (restore %.2f s, recovery %.2f s, first write %.2f s)%n", run, ARCHIVE_TIMEOUT_S,
                lastAcked, lostRows, lostMs / 1000.0, rtoMs / 1000.0, took.restoreMs() / 1000.0,
                took.recoveryMs() / 1000.0, (rtoMs - took.totalMs()) / 1000.0);
        System.out.print(line);
        Files.writeString(Path.of("target/backup-rpo-rto.txt"), line, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        assertTrue(lostMs <= (ARCHIVE_TIMEOUT_S + 5) * 1000L, line);
    }

    /** Commits one row at a time, paced at {@link #RATE} a second, counting those the server acknowledged. */
    private static void write(PgControl a, AtomicLong acked, AtomicLong ackedAtMs, AtomicBoolean stop) {
        try (Connection c = a.connect(); PreparedStatement st = c.prepareStatement("INSERT INTO w (id) VALUES (?)")) {
            long next = System.nanoTime();
            for (long id = 1; !stop.get(); id++) {
                st.setLong(1, id);
                st.executeUpdate();
                acked.set(id);
                ackedAtMs.set(System.currentTimeMillis());
                next += 1_000_000_000L / RATE;
                LockSupport.parkNanos(next - System.nanoTime()); // the pace of the load, not a wait for a condition
            }
        } catch (SQLException e) {
            // the server was killed: the last acknowledged row is counted
        }
    }
}
