package io.geminik8s.agent.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.ha.PairMachine;
import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.protocol.Severity;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code spec.backup} this agent cannot read (a field a newer hub allows, or a value it refuses) is an event, once
 * per distinct problem, not only a log line: nothing is backed up meanwhile and the hub must be able to say why.
 */
class BackupLoopRefusalTest {

    @TempDir
    Path dir;

    @Test
    void anUnreadableSectionIsAnEventOncePerProblem() {
        PgControl pg = new PgControl(PgControl.DEBIAN_15, dir.resolve("a"), "127.0.0.1", 5999, "a", null);
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        BackupService service = new BackupService(new PgBackRest(pg, "site1", dir.resolve("sock")), "key",
                Clock.systemUTC(), (type, severity, message, attrs) -> events.add(type + " " + severity + " "
                + message));
        Map<String, Object> backup = Map.of("schedule", Map.of("full", "7d"), "retention", Map.of("full", 2),
                "repository", Map.of("path", "/srv/b"), "offsite", Map.of("path", "/srv/c"));
        try (BackupLoop loop = new BackupLoop(service, () -> Map.of("backup", backup),
                () -> new BackupPlanner.Role(PairMachine.State.PRIMARY, true))) {
            loop.tick();
            loop.tick();
        }
        assertEquals(1, events.size(), events.toString());
        assertTrue(events.get(0).startsWith("backup.failed " + Severity.WARNING + " spec.backup not understood by this"
                + " agent") && events.get(0).contains("backup.offsite: unknown field"), events.get(0));
    }
}
