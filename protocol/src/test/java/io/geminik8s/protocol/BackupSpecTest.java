package io.geminik8s.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The template's {@code spec.backup} section: defaults, and every problem named at once with its field. */
class BackupSpecTest {

    private static Map<String, Object> valid() {
        Map<String, Object> m = new HashMap<>();
        m.put("schedule", Map.of("full", "7d", "incr", "6h"));
        m.put("retention", Map.of("full", 2));
        m.put("repository", Map.of("path", "/srv/gk8s-backup"));
        return m;
    }

    private static String problems(Object section) {
        return assertThrows(IllegalArgumentException.class, () -> BackupSpec.parse(section)).getMessage();
    }

    @Test
    void aValidSectionWithDefaults() {
        BackupSpec s = BackupSpec.parse(valid());
        assertEquals(new Schedule.Every(Duration.ofDays(7)), s.full());
        assertEquals(null, s.diff());
        assertEquals(new Schedule.Every(Duration.ofHours(6)), s.incr());
        assertEquals(null, s.restoreTest(), "optional");
        assertEquals(60, s.archiveTimeoutSeconds());
        assertEquals(Duration.ofMinutes(15), s.retry());
        assertEquals(Optional.empty(), BackupSpec.fromSpec(Map.of("vip", Map.of())), "no section, no backups");
        assertEquals(Optional.of(s), BackupSpec.fromSpec(Map.of("backup", valid())));
    }

    @Test
    void everyProblemIsNamedWithItsField() {
        assertEquals("backup: must be a map", problems("weekly"));
        assertEquals("backup: required", problems(null));
        assertEquals("backup.schedule: required; backup.retention: required; backup.repository: required",
                problems(Map.of()));
        Map<String, Object> bad = valid();
        bad.put("schedule", Map.of("full", "1w", "incr", "2m", "hourly", "1h"));
        bad.put("retention", Map.of("full", 0, "diff", 3));
        bad.put("archiveTimeoutSeconds", "60");
        bad.put("repository", Map.of("path", "../../etc"));
        bad.put("encryption", "none");
        String p = problems(bad);
        for (String want : List.of("backup.encryption: unknown field (known: archiveTimeoutSeconds, peerRepository, repository,"
                        + " restoreTest, retention, retryMinutes, schedule, timeZone)",
                "backup.schedule.hourly: unknown field (known: diff, full, incr)",
                "backup.schedule.full: an interval like 30m, 6h or 7d, or {cron: \"0 2 * * 0\"}, got 1w",
                "backup.schedule.incr: at least 5m, got 2m",
                "backup.retention.full: an integer from 1 to 99, got 0",
                "backup.retention.diff: needs schedule.diff",
                "backup.archiveTimeoutSeconds: an integer from 10 to 3600, got 60",
                "backup.repository.path: an absolute path")) {
            assertTrue(p.contains(want), want + " in: " + p);
        }
    }

    @Test
    void shorterTypesMustBeMoreFrequentAndPathsCannotEscape() {
        Map<String, Object> m = valid();
        m.put("schedule", Map.of("full", "1d", "diff", "2d", "incr", "3d"));
        String p = problems(m);
        assertTrue(p.contains("backup.schedule.diff: must be shorter than schedule.full (24h)"), p);
        assertTrue(p.contains("backup.schedule.incr: must be shorter than schedule.diff"), p);
        for (String path : List.of("/", "/srv/../etc", "relative", "/srv/b ack", "/srv/x;rm -rf /", "/srv/'q'")) {
            m = valid();
            m.put("repository", Map.of("path", path));
            assertTrue(problems(m).startsWith("backup.repository.path:"), path);
        }
    }

    @Test
    void aPeerRepositoryIsOptionalWithPgBackRestsPort() {
        assertEquals(Optional.empty(), BackupSpec.parse(valid()).peer(), "none unless asked for");
        Map<String, Object> m = valid();
        m.put("peerRepository", Map.of("path", "/var/lib/gk8s/peer-backup"));
        assertEquals(Optional.of(new BackupSpec.PeerRepository("/var/lib/gk8s/peer-backup", 8432)),
                BackupSpec.parse(m).peer());
        m.put("peerRepository", Map.of("path", "/var/lib/gk8s/peer-backup", "port", 9432));
        assertEquals(9432, BackupSpec.parse(m).peer().orElseThrow().port());
    }

    @Test
    void aHostilePeerRepositoryIsRefusedWithEveryProblemNamed() {
        Map<String, Object> m = valid();
        m.put("peerRepository", "/var/lib/gk8s/peer-backup");
        assertEquals("backup.peerRepository: must be a map", problems(m));
        m.put("peerRepository", Map.of("path", "/srv/../etc", "port", 80, "host", "10.0.0.9"));
        String p = problems(m);
        for (String want : List.of("backup.peerRepository.host: unknown field (known: path, port)",
                "backup.peerRepository.path: an absolute path of letters, digits, '.', '_', '-' and '/', without"
                        + " '..', not '/', got /srv/../etc",
                "backup.peerRepository.port: an integer from 1024 to 65535, got 80")) {
            assertTrue(p.contains(want), want + " in " + p);
        }
        m.put("peerRepository", Map.of("path", "/srv/gk8s-backup", "port", "8432"));
        p = problems(m);
        assertTrue(p.contains("backup.peerRepository.path: must be apart from repository.path"), p);
        for (String inside : List.of("/srv/gk8s-backup/peer", "/srv")) {
            m.put("peerRepository", Map.of("path", inside));
            assertTrue(problems(m).contains("must be apart from repository.path (not the same folder, nor one inside"
                    + " the other)"), inside);
        }
        for (String spelled : List.of("/srv/gk8s-backup/", "/srv/./gk8s-backup", "/srv/gk8s-backup/.",
                "/srv//gk8s-backup")) {
            m.put("peerRepository", Map.of("path", spelled));
            assertEquals("backup.peerRepository.path: write it as /srv/gk8s-backup (no '.', '//' or trailing '/')",
                    problems(m), spelled);
        }
        m.put("peerRepository", Map.of("path", "/srv/gk8s-backup2"));
        assertEquals("/srv/gk8s-backup2", BackupSpec.parse(m).peer().orElseThrow().path(), "a sibling is apart");
        m.put("peerRepository", Map.of("path", "/srv/gk8s-backup", "port", "8432"));
        p = problems(m);
        assertTrue(p.contains("backup.peerRepository.port: an integer from 1024 to 65535, got 8432"), p);
        m.put("peerRepository", Map.of("port", 8432));
        assertEquals("backup.peerRepository.path: required", problems(m));
    }
}
