package io.geminik8s.agent.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.geminik8s.protocol.Command;
import io.geminik8s.protocol.CommandResult;
import io.geminik8s.protocol.CommandResult.Outcome;
import io.geminik8s.protocol.RestoreTarget;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The hub's {@code backup-restore} as the agent answers it: the target parsed, once per id, never after expiry. */
class OnceCommandTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-30T04:00:00Z"), ZoneOffset.UTC);
    private final List<Optional<Instant>> ran = new ArrayList<>();

    private OnceCommand restore(boolean fail) {
        return new OnceCommand("backup-restore", args -> {
            Optional<Instant> to = RestoreTarget.parse(args.get("to"), CLOCK.instant());
            ran.add(to);
            return fail ? CompletableFuture.failedFuture(new IllegalStateException("no restore: not the primary"))
                    : CompletableFuture.completedFuture("restored to " + to.map(Instant::toString).orElse("latest"));
        }, CLOCK);
    }

    private static Command cmd(String id, Map<String, String> args, long expiresAt) {
        return new Command("1.2", id, "s1", "a", "backup-restore", args, 9_000L, expiresAt);
    }

    @Test
    void restoresOncePerIdToTheTargetOrTheLatest() throws Exception {
        OnceCommand c = restore(false);
        long later = CLOCK.millis() + 60_000;
        CommandResult r = c.handle(cmd("r1", Map.of("to", "2026-11-30T01:03:28Z"), later)).get();
        assertEquals(Outcome.OK, r.outcome());
        assertEquals("restored to 2026-11-30T01:03:28Z", r.message());
        assertSame(r, c.handle(cmd("r1", Map.of("to", "2026-11-30T01:03:28Z"), later)).get(), "a repeat: the answer");
        assertEquals("restored to latest", c.handle(cmd("r2", null, later)).get().message());
        assertEquals(List.of(Optional.of(Instant.parse("2026-11-30T01:03:28Z")), Optional.empty()), ran);
    }

    @Test
    void expiredOddAndFailedCommandsAreAnsweredSo() throws Exception {
        OnceCommand c = restore(true);
        long later = CLOCK.millis() + 60_000;
        assertEquals(Outcome.EXPIRED, c.handle(cmd("old", null, CLOCK.millis() - 1)).get().outcome());
        CommandResult odd = c.handle(cmd("odd", Map.of("to", "2026-11-30 01:03:28"), later)).get();
        assertEquals(Outcome.FAILED, odd.outcome());
        assertEquals(true, odd.message().startsWith("to: an ISO-8601 time"), odd.message());
        assertEquals(List.of(), ran, "nothing ran for either");
        CommandResult failed = c.handle(cmd("f", Map.of(), later)).get();
        assertEquals(Outcome.FAILED, failed.outcome());
        assertEquals("no restore: not the primary", failed.message());
    }
}
