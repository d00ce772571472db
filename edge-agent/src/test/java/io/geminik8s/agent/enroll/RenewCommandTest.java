package io.geminik8s.agent.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.protocol.Command;
import io.geminik8s.protocol.CommandResult;
import io.geminik8s.protocol.CommandResult.Outcome;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The renew command's paths that need no hub (renewing and reconnecting for real is RotationRolloutTest's): an
 * expired command renews nothing, a failure names its cause, and a command id seen before gets its first answer.
 */
class RenewCommandTest {

    @TempDir
    Path dir;
    private final AtomicInteger reconnects = new AtomicInteger();

    private RenewCommand command() {
        var s = EnrollSettings.parse(Map.of("enroll.url", "https://hub", "enroll.token", "t", "site", "s1", "node",
                "a", "state.dir", dir.toString())::get, new ArrayList<>()).orElseThrow();
        return new RenewCommand(new Renewer(s, Duration.ofDays(10)), () -> {
            reconnects.incrementAndGet();
            return CompletableFuture.completedFuture(1L);
        }, Clock.systemUTC(), Duration.ofSeconds(1));
    }

    private static Command renew(String id, long expiresAt) {
        return new Command("1.0", id, "s1", "a", RenewCommand.NAME, Map.of("from", "abc"), 0L, expiresAt);
    }

    @Test
    void anExpiredCommandRenewsNothing() throws Exception {
        CommandResult r = command().handle(renew("c1", 1)).get(5, TimeUnit.SECONDS);
        assertEquals(Outcome.EXPIRED, r.outcome(), r.message());
        assertEquals(0, reconnects.get());
    }

    @Test
    void aFailureNamesItsCauseAndARepeatedIdGetsTheFirstAnswer() throws Exception {
        RenewCommand c = command();
        long later = System.currentTimeMillis() + 60_000;
        CommandResult first = c.handle(renew("c2", later)).get(5, TimeUnit.SECONDS);
        assertEquals(Outcome.FAILED, first.outcome());
        assertTrue(first.message().startsWith("renewal failed: ") && !first.message().endsWith("null"),
                first.message());
        assertSame(first, c.handle(renew("c2", later)).get(5, TimeUnit.SECONDS));
        assertEquals(0, reconnects.get(), "no certificate, no renewal, no reconnect");
    }
}
