package io.geminik8s.agent.backup;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.protocol.BackupSpec;
import io.geminik8s.protocol.Severity;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * WAL archive lag as the agent measures and reports it (docs/backup.md): with real PostgreSQL 15 and pgBackRest, a
 * repository that refuses writes leaves a completed segment waiting (its age grows, pg_stat_archiver counts
 * failures, {@code backup.archive} reported as a warning); once it accepts them again nothing waits.
 */
class ArchiveWatchTest {

    private BackupSite site;

    @AfterEach
    void close() throws Exception {
        if (site != null) {
            site.close();
        }
    }

    private void chmod(String mode) throws Exception {
        assertEquals(0, new ProcessBuilder("chmod", "-R", mode, site.central.toString()).start().waitFor());
    }

    @Test
    void aSegmentTheRepositoryRefusesWaitsAndItsAgeIsTheLag() throws Exception {
        site = BackupSite.create("gk8s-archive-lag");
        PgControl a = site.node("a");
        a.initPrimary();
        BackupService onA = site.service(a);
        BackupSpec spec = site.spec(10);
        onA.tick(spec, BackupSite.PRIMARY); // archive_mode: restart needed
        a.stop();
        a.start();
        assertTrue(onA.tick(spec, BackupSite.PRIMARY).run().get().ok(), "the first full backup");
        assertTrue(Long.parseLong(site.events("backup.archive").get(0).attrs().get("lagSeconds")) < 60,
                "archiving works: " + site.events("backup.archive"));
        assertEquals(Severity.INFO, site.events("backup.archive").get(0).severity());

        chmod("u-w"); // the repository refuses writes
        a.sql("CREATE TABLE t (id int)");
        a.sql("SELECT pg_switch_wal()");
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            ArchiveWatch.Status s = ArchiveWatch.read(a);
            return s.ready() >= 1 && s.failedCount() >= 1 && s.lagSeconds() >= 2;
        });
        ArchiveWatch watch = new ArchiveWatch();
        ArchiveWatch.Status waiting = ArchiveWatch.read(a);
        Instant now = Instant.now();
        var first = watch.report(waiting, now).orElseThrow();
        assertEquals(Long.toString(waiting.lagSeconds()), first.getValue().get("lagSeconds"));
        assertTrue(watch.report(waiting, now.plusSeconds(60)).isEmpty(), "nothing new: no report");
        ArchiveWatch.Status longer = new ArchiveWatch.Status(waiting.ready(), 61, waiting.failedCount(),
                waiting.lastArchivedAt(), waiting.lastArchivedWal(), waiting.lastFailedAt());
        assertEquals(Severity.WARNING, watch.report(longer, now.plusSeconds(61)).orElseThrow().getKey(),
                "waiting a minute: lagging, reported at once");
        assertTrue(watch.report(longer, now.plusSeconds(62)).isEmpty());
        assertTrue(watch.report(longer, now.plusSeconds(61).plus(ArchiveWatch.EVERY)).isPresent(), "every 15 min");

        chmod("u+w");
        await().atMost(Duration.ofSeconds(90)).until(() -> ArchiveWatch.read(a).ready() == 0);
        assertEquals(0, ArchiveWatch.read(a).lagSeconds(), "archived: no lag");
    }
}
