package io.geminik8s.agent.backup;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.protocol.BackupSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A cron schedule carried out against real PostgreSQL 15 and pgBackRest (docs/backup.md): the first full backup at
 * once, then nothing until the incremental's cron slot (the minute after the full backup's stop time, as
 * {@code pgbackrest info} reports it) has passed; then one incremental, and nothing again. An agent that restarts
 * (a new service, no memory) reads the same schedule from the repository and takes nothing.
 */
class BackupCronLoopTest {

    private BackupSite site;

    @AfterEach
    void close() throws Exception {
        if (site != null) {
            site.close();
        }
    }

    @Test
    void theIncrementalWaitsForItsCronSlotAndIsTakenOnce() throws Exception {
        site = BackupSite.create("gk8s-backup-cron");
        PgControl a = site.node("a");
        a.initPrimary();
        BackupService onA = site.service(a);
        BackupSpec intervals = site.spec(60);
        onA.tick(intervals, BackupSite.PRIMARY); // archive_mode: restart needed
        a.stop();
        a.start();
        assertTrue(onA.tick(intervals, BackupSite.PRIMARY).run().get().ok(), "the first full backup");
        Instant fullStop = site.tool(a).info().lastFull();
        Instant slot = fullStop.truncatedTo(ChronoUnit.MINUTES).plus(Duration.ofMinutes(1));
        var utc = slot.atZone(ZoneOffset.UTC);
        BackupSpec cron = BackupSpec.parse(Map.of(
                "schedule", Map.of("full", Map.of("cron", "0 2 * * 0"),
                        "incr", Map.of("cron", utc.getMinute() + " " + utc.getHour() + " * * *")),
                "retention", Map.of("full", 2),
                "repository", Map.of("path", site.central.toString())));

        BackupService.Outcome before = onA.tick(cron, BackupSite.PRIMARY);
        if (Instant.now().isBefore(slot.minusSeconds(2))) { // a slow machine may already be past the slot
            assertEquals(Optional.empty(), before.decision().type(), before.decision().reason());
            assertEquals(slot, before.decision().nextDue(), "due at the next slot after the full backup's stop");
        }
        AtomicReference<BackupService.Outcome> taken = new AtomicReference<>(before.run().isPresent() ? before : null);
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(2)).until(() -> {
            if (taken.get() == null) {
                BackupService.Outcome o = onA.tick(cron, BackupSite.PRIMARY);
                if (o.run().isPresent()) {
                    taken.set(o);
                }
            }
            return taken.get() != null;
        });
        assertEquals(Optional.of(BackupType.INCR), taken.get().decision().type());
        assertTrue(taken.get().run().get().ok(), taken.get().run().get().describe());
        assertTrue(!Instant.now().isBefore(slot), "not before its slot");
        assertTrue(site.tool(a).info().lastIncr().isAfter(fullStop));

        BackupService.Outcome after = onA.tick(cron, BackupSite.PRIMARY);
        assertEquals(Optional.empty(), after.decision().type(), "the slot is spent: " + after.decision().reason());
        assertTrue(after.decision().nextDue().isAfter(Instant.now().plus(Duration.ofHours(1))),
                "the next slot tomorrow or the full on Sunday: " + after.decision().nextDue());
        BackupService restarted = site.service(a);
        assertEquals(Optional.empty(), restarted.tick(cron, BackupSite.PRIMARY).decision().type(),
                "a restarted agent reads the schedule from the repository, not its memory");
        assertEquals(2, site.events("backup.completed").size(), site.events("backup.completed").toString());
    }
}
