package io.geminik8s.agent.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.ha.PairMachine.State;
import io.geminik8s.protocol.BackupSpec;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Cron schedules in the planner, on a fixed clock in UTC (no DST): the backup loop simulated minute by minute against
 * a repository whose history is what pgBackRest's info would say (stop times), every backup taking 2 minutes. A slot
 * that passed since the last backup of a type makes it due; a node that missed several slots catches up with one
 * backup, not a burst; after a failover the new primary continues from the repository.
 */
class BackupPlannerCronTest {

    /** Full Sundays 02:00, differential nightly 01:00, incremental hourly: what operators asked for. */
    static final BackupSpec OPERATORS = BackupSpec.parse(Map.of(
            "schedule", Map.of("full", Map.of("cron", "0 2 * * 0"), "diff", Map.of("cron", "0 1 * * *"),
                    "incr", Map.of("cron", "0 * * * *")),
            "retention", Map.of("full", 2, "diff", 7),
            "repository", Map.of("path", "/srv/gk8s-backup")));
    private static final BackupPlanner.Role PRIMARY = new BackupPlanner.Role(State.PRIMARY, true);
    private static final Duration TAKES = Duration.ofMinutes(2);

    record Taken(BackupType type, Instant at) {
        @Override
        public String toString() {
            return type + "@" + at;
        }
    }

    /** The repository: the stop time of the newest backup of each type, as {@code pgbackrest info} reports it. */
    static final class Repo {
        BackupPlanner.History h;
        final List<Taken> taken = new ArrayList<>();

        Repo(BackupPlanner.History h) {
            this.h = h;
        }

        /** The loop's ticks, one a minute from {@code from} to {@code to}, a backup blocking ticks while it runs. */
        void run(BackupSpec spec, BackupPlanner.Role role, Instant from, Instant to) {
            for (Instant t = from; t.isBefore(to); t = t.plus(Duration.ofMinutes(1))) {
                Optional<BackupType> type = BackupPlanner.decide(spec, t, role, h).type();
                if (type.isPresent()) {
                    taken.add(new Taken(type.get(), t));
                    Instant stop = t.plus(TAKES);
                    h = switch (type.get()) {
                        case FULL -> new BackupPlanner.History(stop, h.lastDiff(), h.lastIncr(), null);
                        case DIFF -> new BackupPlanner.History(h.lastFull(), stop, h.lastIncr(), null);
                        case INCR -> new BackupPlanner.History(h.lastFull(), h.lastDiff(), stop, null);
                    };
                    t = stop.minus(Duration.ofMinutes(1)); // the loop's next tick after the backup returned
                }
            }
        }
    }

    private static Instant at(String t) {
        return Instant.parse(t);
    }

    @Test
    void aWeekOfTheOperatorsScheduleTakesEachSlotOnceAtItsTime() {
        // Sunday 2026-11-29 02:00 a full backup (stop 02:02); an incremental each hour since, the last at 23:00
        Repo repo = new Repo(new BackupPlanner.History(at("2026-11-29T02:02:00Z"), null, at("2026-11-29T23:02:00Z"), null));
        repo.run(OPERATORS, PRIMARY, at("2026-11-30T00:00:00Z"), at("2026-12-06T03:30:00Z"));
        List<Taken> want = new ArrayList<>();
        for (Instant slot = at("2026-11-30T00:00:00Z"); slot.isBefore(at("2026-12-06T03:30:00Z")); slot = slot.plus(Duration.ofHours(1))) {
            var local = slot.atZone(ZoneOffset.UTC);
            BackupType type = local.getDayOfWeek() == DayOfWeek.SUNDAY && local.getHour() == 2 ? BackupType.FULL
                    : local.getHour() == 1 ? BackupType.DIFF : BackupType.INCR;
            want.add(new Taken(type, slot));
        }
        assertEquals(want, repo.taken);
        assertEquals(1, repo.taken.stream().filter(t -> t.type() == BackupType.FULL).count());
        assertEquals(7, repo.taken.stream().filter(t -> t.type() == BackupType.DIFF).count());
    }

    @Test
    void slotsMissedWhileTheNodeWasDownAreCaughtUpByOneBackupNotABurst() {
        // last full Sunday, diff Monday 01:00, incremental Monday 05:00; the node is down until Thursday 10:17
        Repo repo = new Repo(new BackupPlanner.History(at("2026-11-29T02:02:00Z"), at("2026-11-30T01:02:00Z"),
                at("2026-11-30T05:02:00Z"), null));
        repo.run(OPERATORS, PRIMARY, at("2026-12-03T10:17:00Z"), at("2026-12-03T12:30:00Z"));
        assertEquals(List.of(new Taken(BackupType.DIFF, at("2026-12-03T10:17:00Z")),
                new Taken(BackupType.INCR, at("2026-12-03T11:00:00Z")),
                new Taken(BackupType.INCR, at("2026-12-03T12:00:00Z"))), repo.taken,
                "three nightly differentials and ~50 hourly slots missed: one differential, then the schedule");
        BackupPlanner.Decision after = BackupPlanner.decide(OPERATORS, at("2026-12-03T10:20:00Z"), PRIMARY,
                new BackupPlanner.History(at("2026-11-29T02:02:00Z"), at("2026-12-03T10:19:00Z"), at("2026-11-30T05:02:00Z"), null));
        assertEquals(Optional.empty(), after.type());
        assertEquals(at("2026-12-03T11:00:00Z"), after.nextDue(), "the next hourly slot");

        // down over the Sunday full: Saturday 23:00 to Monday 09:10; one full, then the hourly slots
        Repo weekend = new Repo(new BackupPlanner.History(at("2026-11-29T02:02:00Z"), at("2026-12-05T01:02:00Z"),
                at("2026-12-05T22:02:00Z"), null));
        weekend.run(OPERATORS, PRIMARY, at("2026-12-07T09:10:00Z"), at("2026-12-07T10:30:00Z"));
        assertEquals(List.of(new Taken(BackupType.FULL, at("2026-12-07T09:10:00Z")),
                new Taken(BackupType.INCR, at("2026-12-07T10:00:00Z"))), weekend.taken);
    }

    @Test
    void afterAFailoverTheNewPrimaryContinuesFromTheRepository() {
        // a writes until it dies at Wednesday 00:50; b is a standby (backs up nothing), promoted at 01:10
        Repo repo = new Repo(new BackupPlanner.History(at("2026-11-29T02:02:00Z"), at("2026-12-01T01:02:00Z"),
                at("2026-12-02T00:02:00Z"), null));
        repo.run(OPERATORS, new BackupPlanner.Role(State.STANDBY, true), at("2026-12-02T00:50:00Z"), at("2026-12-02T01:10:00Z"));
        assertEquals(List.of(), repo.taken, "the standby takes nothing while the primary is gone");
        repo.run(OPERATORS, new BackupPlanner.Role(State.PRIMARY, false), at("2026-12-02T01:10:00Z"), at("2026-12-02T01:12:00Z"));
        assertEquals(List.of(), repo.taken, "promoted, but its lease not yet granted");
        repo.run(OPERATORS, PRIMARY, at("2026-12-02T01:12:00Z"), at("2026-12-03T01:30:00Z"));
        assertEquals(new Taken(BackupType.DIFF, at("2026-12-02T01:12:00Z")), repo.taken.get(0),
                "the 01:00 slot passed during the failover: b takes the differential once it writes");
        assertEquals(new Taken(BackupType.INCR, at("2026-12-02T02:00:00Z")), repo.taken.get(1));
        assertEquals(List.of(at("2026-12-02T01:12:00Z"), at("2026-12-03T01:00:00Z")), repo.taken.stream()
                .filter(t -> t.type() == BackupType.DIFF).map(Taken::at).toList(), "then nightly again");

        // a failure remembered by the old primary's agent does not travel: the new one tries at the next slot
        BackupPlanner.Decision b = BackupPlanner.decide(OPERATORS, at("2026-12-02T02:00:00Z"), PRIMARY,
                new BackupPlanner.History(at("2026-11-29T02:02:00Z"), at("2026-12-02T01:14:00Z"), at("2026-12-02T01:14:00Z"), null));
        assertEquals(Optional.of(BackupType.INCR), b.type());
    }

    @Test
    void cronAndIntervalsMixInOneSchedule() {
        // full Sundays 02:00 (cron), differential a day after the last full or differential (interval),
        // incremental at half past each hour (cron)
        BackupSpec mixed = BackupSpec.parse(Map.of(
                "schedule", Map.of("full", Map.of("cron", "0 2 * * 0"), "diff", "1d", "incr", Map.of("cron", "30 * * * *")),
                "retention", Map.of("full", 2),
                "repository", Map.of("path", "/srv/gk8s-backup")));
        Repo repo = new Repo(new BackupPlanner.History(at("2026-11-29T02:02:00Z"), null, null, null));
        repo.run(mixed, PRIMARY, at("2026-11-29T02:03:00Z"), at("2026-11-30T04:00:00Z"));
        List<Taken> diffs = repo.taken.stream().filter(t -> t.type() == BackupType.DIFF).toList();
        assertEquals(List.of(new Taken(BackupType.DIFF, at("2026-11-30T02:02:00Z"))), diffs,
                "the interval counts from the full's stop time, not a slot");
        List<Taken> incrs = repo.taken.stream().filter(t -> t.type() == BackupType.INCR).toList();
        assertEquals(at("2026-11-29T02:30:00Z"), incrs.get(0).at());
        assertTrue(incrs.stream().allMatch(t -> t.at().atZone(ZoneOffset.UTC).getMinute() == 30), incrs.toString());
        assertEquals(26, incrs.size(), "each half hour from 02:30 to 03:30 the next day, none skipped by the differential");
        BackupPlanner.Decision d = BackupPlanner.decide(mixed, at("2026-11-30T03:35:00Z"), PRIMARY, repo.h);
        assertEquals(at("2026-11-30T04:30:00Z"), d.nextDue());
        assertTrue(BackupPlanner.decide(mixed, at("2026-12-06T02:00:00Z"), PRIMARY, repo.h).reason()
                .endsWith("(cron '0 2 * * 0' UTC)"));
    }
}
