package io.geminik8s.agent.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.geminik8s.protocol.Command;
import io.geminik8s.protocol.CommandResult;
import io.geminik8s.protocol.CommandResult.Outcome;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The hub's {@code backup-run}: the type from its args, once per id, never after expiry, failures answered. */
class BackupCommandTest {

    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(10_000), ZoneOffset.UTC);
    private final List<BackupType> ran = new ArrayList<>();

    private BackupCommand command(boolean fail) {
        return new BackupCommand(t -> {
            ran.add(t);
            return fail ? CompletableFuture.failedFuture(new IllegalStateException("no backup: fenced"))
                    : CompletableFuture.completedFuture(t.option() + " backup 20261130-010000F taken");
        }, CLOCK);
    }

    private static Command cmd(String id, Map<String, String> args, long expiresAt) {
        return new Command("1.2", id, "s1", "a", BackupCommand.NAME, args, 9_000L, expiresAt);
    }

    @Test
    void runsTheTypeAskedForOncePerId() throws Exception {
        BackupCommand c = command(false);
        CommandResult r = c.handle(cmd("c1", Map.of("type", "full"), 20_000)).get();
        assertEquals(Outcome.OK, r.outcome());
        assertEquals("full backup 20261130-010000F taken", r.message());
        assertSame(r, c.handle(cmd("c1", Map.of("type", "full"), 20_000)).get(), "a repeat gets the first answer");
        assertEquals(Outcome.OK, c.handle(cmd("c2", null, 20_000)).get().outcome());
        assertEquals(List.of(BackupType.FULL, BackupType.INCR), ran, "incr by default; c1 ran once");
    }

    @Test
    void expiredMalformedAndFailedCommandsAreAnsweredSo() throws Exception {
        BackupCommand c = command(true);
        assertEquals(Outcome.EXPIRED, c.handle(cmd("old", null, 9_999)).get().outcome());
        CommandResult bad = c.handle(cmd("bad", Map.of("type", "weekly; rm -rf /"), 20_000)).get();
        assertEquals(Outcome.FAILED, bad.outcome());
        assertEquals("args.type: full, diff or incr, got 'weekly; rm -rf /'", bad.message());
        assertEquals(List.of(), ran, "nothing ran for either");
        CommandResult failed = c.handle(cmd("f", Map.of("type", "diff"), 20_000)).get();
        assertEquals(Outcome.FAILED, failed.outcome());
        assertEquals("no backup: fenced", failed.message());
    }
}
