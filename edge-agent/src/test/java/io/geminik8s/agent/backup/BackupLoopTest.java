package io.geminik8s.agent.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.ha.PairMachine;
import io.geminik8s.agent.pg.PgControl;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The agent's backup thread answering {@code backup-run} (what {@code HaNode.backups} wires to the hub's command):
 * with the applied spec and the supervisor's role as they are at that moment, on real PostgreSQL and pgBackRest.
 */
class BackupLoopTest {

    @Test
    void runNowFollowsTheAppliedSpecAndTheRole() throws Exception {
        try (BackupSite site = BackupSite.create("gk8s-backup-loop")) {
            PgControl a = site.node("a");
            a.initPrimary();
            AtomicReference<Map<String, ?>> spec = new AtomicReference<>(Map.of());
            AtomicReference<BackupPlanner.Role> role = new AtomicReference<>(BackupSite.PRIMARY);
            try (BackupLoop loop = new BackupLoop(site.service(a), spec::get, role::get)) {
                assertEquals("no backup: the site's template has no spec.backup section", failure(loop));

                spec.set(Map.of("backup", Map.of("schedule", Map.of("full", "7d"), "retention", Map.of("full", 1),
                        "repository", Map.of("path", site.central.toString()))));
                assertTrue(failure(loop).startsWith("no backup: WAL archiving waits for a PostgreSQL restart"),
                        "archive_mode is not on yet");
                a.stop();
                a.start();
                String ok = loop.runNow(BackupType.FULL).get(120, TimeUnit.SECONDS);
                assertTrue(ok.matches("full backup \\d{8}-\\d{6}F taken"), ok);

                role.set(new BackupPlanner.Role(PairMachine.State.FENCED, false));
                assertTrue(failure(loop).startsWith("no backup: fenced"), "the role at the moment of the command");
            }
        }
    }

    private static String failure(BackupLoop loop) throws Exception {
        try {
            loop.runNow(BackupType.INCR).get(120, TimeUnit.SECONDS);
            return "succeeded";
        } catch (ExecutionException e) {
            return e.getCause().getMessage();
        }
    }
}
