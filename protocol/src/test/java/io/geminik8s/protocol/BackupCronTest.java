package io.geminik8s.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code spec.backup}'s cron schedules, time zone and restore-test schedule; hostile input named, never thrown. */
class BackupCronTest {

    private static Map<String, Object> with(Object full, Object restoreTest, Object zone) {
        Map<String, Object> m = new HashMap<>();
        Map<String, Object> schedule = new LinkedHashMap<>();
        schedule.put("full", full);
        schedule.put("diff", Map.of("cron", "0 1 * * *"));
        schedule.put("incr", "1h");
        m.put("schedule", schedule);
        m.put("retention", Map.of("full", 2));
        m.put("repository", Map.of("path", "/srv/gk8s-backup"));
        if (restoreTest != null) {
            m.put("restoreTest", restoreTest);
        }
        if (zone != null) {
            m.put("timeZone", zone);
        }
        return m;
    }

    private static String problems(Object section) {
        return assertThrows(IllegalArgumentException.class, () -> BackupSpec.parse(section)).getMessage();
    }

    @Test
    void cronAndIntervalsMixUtcUnlessAZoneIsNamed() {
        BackupSpec s = BackupSpec.parse(with(Map.of("cron", " 0  2 * * SUN "), "7d", null));
        assertEquals(new Schedule.Cron("0 2 * * SUN", ZoneOffset.UTC), s.full());
        assertEquals(new Schedule.Cron("0 1 * * *", ZoneOffset.UTC), s.diff());
        assertEquals(new Schedule.Every(Duration.ofHours(1)), s.incr());
        assertEquals(new Schedule.Every(Duration.ofDays(7)), s.restoreTest());
        // Thursday 2026-01-01: the next Sunday 02:00 UTC; strictly after a slot, the one a week later
        assertEquals(Optional.of(Instant.parse("2026-01-04T02:00:00Z")), s.full().nextAfter(Instant.parse("2026-01-01T10:00:00Z")));
        assertEquals(Optional.of(Instant.parse("2026-01-11T02:00:00Z")), s.full().nextAfter(Instant.parse("2026-01-04T02:00:00Z")));
        BackupSpec berlin = BackupSpec.parse(with(Map.of("cron", "0 2 * * 0"), null, "Europe/Berlin"));
        assertEquals(ZoneId.of("Europe/Berlin"), ((Schedule.Cron) berlin.full()).zone());
        assertEquals(Optional.of(Instant.parse("2026-01-04T01:00:00Z")), berlin.full().nextAfter(Instant.parse("2026-01-01T10:00:00Z")),
                "02:00 in Berlin in winter is 01:00 UTC");
        assertEquals("cron '0 2 * * 0' Europe/Berlin", berlin.full().text());
    }

    @Test
    void hostileCronExpressionsAreNamedProblems() {
        Map<Object, String> cases = new LinkedHashMap<>();
        cases.put("@yearly", "macros like @yearly are not accepted");
        cases.put("0 0 2 * * 0", "five fields (minute hour day-of-month month day-of-week), got 6 (seconds or years");
        cases.put("", "empty");
        cases.put("   ", "empty");
        cases.put("0 2 * *", "five fields (minute hour day-of-month month day-of-week), got 4");
        cases.put("0 0 30 2 *", "never fires");
        cases.put("* * * * *", "fires more often than every 5 minutes");
        cases.put("0,2 3 * * *", "fires more often than every 5 minutes");
        cases.put("99 2 * * *", "not a cron expression (");
        cases.put("*/0 * * * *", "not a cron expression (");
        cases.put("0 2 L * *", "not a cron expression (");
        cases.put("0 2 ? * 1", "not a cron expression (");
        cases.put("0 2 * * 1#2", "not a cron expression (");
        cases.put("０ ２ * * *", "only ASCII");
        cases.put("0 2 * * 0\u00a0", "only ASCII");
        cases.put("0 2 * * 0; backup.x: y", "five fields");
        cases.put("1 ".repeat(100_000), "at most 100 characters");
        cases.put(7, "a five-field cron expression in quotes, got 7");
        cases.put(List.of("0", "2"), "a five-field cron expression in quotes");
        for (var c : cases.entrySet()) {
            Map<String, Object> cron = new HashMap<>();
            cron.put("cron", c.getKey());
            String p = problems(with(cron, null, null));
            assertTrue(p.startsWith("backup.schedule.full.cron: " + c.getValue()), c.getKey() + " -> " + p);
            assertTrue(p.length() < 400, "the input is not echoed whole: " + p.length());
            assertEquals(1, p.split("; backup").length, "one problem, no forged field: " + p);
        }
    }

    @Test
    void otherShapesAndZones() {
        assertTrue(problems(with(Map.of(), null, null)).startsWith("backup.schedule.full.cron: required"));
        assertTrue(problems(with(Map.of("cron", "0 2 * * 0", "zone", "UTC"), null, null))
                .startsWith("backup.schedule.full.zone: unknown field (known: cron)"));
        assertTrue(problems(with("0 2 * * 0", null, null)).startsWith(
                "backup.schedule.full: an interval like 30m, 6h or 7d, or {cron: \"0 2 * * 0\"}, got 0 2 * * 0"));
        assertTrue(problems(with("7d", Map.of("cron", "@daily"), null)).startsWith("backup.restoreTest.cron: macros"));
        assertTrue(problems(with("7d", "1m", null)).startsWith("backup.restoreTest: at least 5m"));
        for (Object zone : List.of("Mars/Olympus", "", "../../etc/passwd", 3, "Europe/Berlin".repeat(10), "Ëurope/Berlin")) {
            assertTrue(problems(with("7d", null, zone)).startsWith("backup.timeZone: an IANA time zone"), zone + "");
        }
        // a cron full with an interval diff: intervals are compared only with intervals
        Map<String, Object> m = with(Map.of("cron", "0 2 1 * *"), null, null);
        ((Map<String, Object>) m.get("schedule")).put("diff", "40d");
        assertEquals(new Schedule.Every(Duration.ofDays(40)), BackupSpec.parse(m).diff());
    }
}
