package io.geminik8s.agent.backup;

import io.geminik8s.protocol.BackupSpec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.ha.PairMachine.State;
import io.geminik8s.agent.pg.PgSecret;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The planner's rules: who backs up, the schedule per type, retries, retention, and the repository key. */
class BackupPlannerTest {

    static final BackupSpec SPEC = BackupSpec.parse(Map.of(
            "schedule", Map.of("full", "7d", "diff", "1d", "incr", "1h"),
            "retention", Map.of("full", 2, "diff", 7),
            "repository", Map.of("path", "/srv/gk8s-backup")));
    private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");
    private static final BackupPlanner.Role PRIMARY = new BackupPlanner.Role(State.PRIMARY, true);

    private static Optional<BackupType> plan(BackupPlanner.Role role, BackupPlanner.History h) {
        return BackupPlanner.decide(SPEC, NOW, role, h).type();
    }

    private static Instant ago(String d) {
        return NOW.minus(Duration.parse(d));
    }

    @Test
    void onlyTheNodeThatWritesWithItsLeaseBacksUpNeverAFencedOne() {
        assertEquals(Optional.of(BackupType.FULL), plan(PRIMARY, BackupPlanner.History.EMPTY));
        assertEquals(Optional.of(BackupType.FULL), plan(new BackupPlanner.Role(State.ALONE, true),
                BackupPlanner.History.EMPTY), "a primary whose peer is gone still writes, so it backs up");
        for (State s : List.of(State.STANDBY, State.CANDIDATE, State.STEPPED_DOWN, State.FENCED)) {
            assertEquals(Optional.empty(), plan(new BackupPlanner.Role(s, true), BackupPlanner.History.EMPTY), s.name());
        }
        assertEquals(Optional.empty(), plan(new BackupPlanner.Role(State.PRIMARY, false), BackupPlanner.History.EMPTY),
                "a primary whose lease lapsed is about to be fenced");
        assertTrue(BackupPlanner.decide(SPEC, NOW, new BackupPlanner.Role(State.FENCED, false),
                BackupPlanner.History.EMPTY).reason().startsWith("fenced"));
    }

    @Test
    void eachTypeIsDueAfterItsIntervalFromTheLastGoodBackup() {
        assertEquals(Optional.of(BackupType.FULL), plan(PRIMARY,
                new BackupPlanner.History(ago("PT168H"), ago("PT2H"), ago("PT30M"), null)), "7 days since the full");
        assertEquals(Optional.of(BackupType.DIFF), plan(PRIMARY,
                new BackupPlanner.History(ago("PT48H"), ago("PT24H"), ago("PT30M"), null)), "1 day since the diff");
        assertEquals(Optional.of(BackupType.DIFF), plan(PRIMARY,
                new BackupPlanner.History(ago("PT25H"), null, ago("PT10M"), null)), "no diff, full 25 h ago");
        assertEquals(Optional.of(BackupType.INCR), plan(PRIMARY,
                new BackupPlanner.History(ago("PT3H"), null, ago("PT1H"), null)), "1 h since the newest");
        BackupPlanner.Decision none = BackupPlanner.decide(SPEC, NOW, PRIMARY,
                new BackupPlanner.History(ago("PT3H"), null, ago("PT20M"), null));
        assertEquals(Optional.empty(), none.type());
        assertEquals(NOW.plus(Duration.ofMinutes(40)), none.nextDue(), "the incremental is next, 40 min from now");
    }

    @Test
    void aFailureIsRetriedNoSoonerThanTheRetryIntervalUnlessABackupSucceededSince() {
        BackupPlanner.History failed = new BackupPlanner.History(ago("PT200H"), null, null, ago("PT5M"));
        BackupPlanner.Decision d = BackupPlanner.decide(SPEC, NOW, PRIMARY, failed);
        assertEquals(Optional.empty(), d.type());
        assertEquals(NOW.plus(Duration.ofMinutes(10)), d.nextDue());
        assertEquals(Optional.of(BackupType.FULL), plan(PRIMARY,
                new BackupPlanner.History(ago("PT200H"), null, null, ago("PT15M"))));
        assertEquals(Optional.of(BackupType.INCR), plan(PRIMARY,
                new BackupPlanner.History(ago("PT3H"), null, ago("PT1H"), ago("PT2H"))), "a success since the failure");
    }

    @Test
    void withoutDiffOrIncrOnlyFullBackupsAreTaken() {
        BackupSpec fullOnly = BackupSpec.parse(Map.of("schedule", Map.of("full", "1d"), "retention", Map.of("full", 3),
                "repository", Map.of("path", "/srv/b")));
        assertEquals(Optional.empty(), BackupPlanner.decide(fullOnly, NOW, PRIMARY,
                new BackupPlanner.History(ago("PT23H"), null, null, null)).type());
        assertEquals(Optional.of(BackupType.FULL), BackupPlanner.decide(fullOnly, NOW, PRIMARY,
                new BackupPlanner.History(ago("PT24H"), null, null, null)).type());
    }

    @Test
    void retentionBecomesPgBackRestsExpireOptions() {
        assertEquals(List.of("repo1-retention-full-type=count", "repo1-retention-full=2", "repo1-retention-diff=7"),
                BackupPlanner.retentionOptions(SPEC));
        String conf = new PgBackRestConf("site1", Path.of("/var/lib/gk8s/pg"), 5432, Path.of("/run/gk8s-pg"),
                Path.of("/var/lib/gk8s/pg.pgbackrest")).render(SPEC, "k3y");
        assertTrue(conf.contains("\nrepo1-retention-full=2\n") && conf.contains("\nrepo1-retention-diff=7\n"), conf);
        assertTrue(conf.contains("\nrepo1-cipher-type=aes-256-cbc\nrepo1-cipher-pass=k3y\n"), conf);
        assertTrue(conf.contains("\n[site1]\npg1-path=/var/lib/gk8s/pg\npg1-port=5432\npg1-socket-path=/run/gk8s-pg\n"),
                conf);
    }

    @Test
    void theRepositoryKeyIsDerivedFromTheSiteSecretAndIsNoPassword() {
        PgSecret secret = new PgSecret("0f".repeat(32));
        String key = BackupKey.of(secret);
        assertEquals(64, key.length());
        assertEquals(key, BackupKey.of(new PgSecret("0f".repeat(32))), "the same on both nodes");
        assertTrue(!key.equals(BackupKey.of(new PgSecret("aa".repeat(32)))), "another site's differs");
        for (String role : List.of("postgres", "gk8s_repl", "kine")) {
            assertTrue(!key.equals(secret.password(role)), role);
        }
        assertTrue(!key.contains("0f0f0f0f"), "not the secret");
        // what docs/backup.md's manual command prints (printf %s gk8s-backup-repo1-cipher | openssl dgst -sha256
        // -hmac 5e5e...5e), computed by openssl, not by this code
        assertEquals("4908c687f19e120c86a0d2eb6cc8a60e6732569e6bed76c4ee61a47db4c1833b",
                BackupKey.of(new PgSecret("5e".repeat(32))));
    }
}
