package io.geminik8s.agent.pg;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Reviewer's probe (e1b1165), which saw one overriding commit after the fence on that code: a fence that runs while
 * PgControl.unfence is still before its spawn (here: while Postmaster.start's stopLeftover runs pg_ctl stop, to hit
 * that phase deterministically) found no server to kill; the server then spawned with only the read-only default and
 * served clients until unfence's fence-count check killed it. Now the spawn is refused under the lock the fence's kill
 * reads the process under: no server comes up, no client that overrides every setting commits after the fence.
 */
class ReviewProbeUnfenceWindowTest {

    /** The client's attempts after unfence ended that the check waits for (each refused, none committed). */
    private static final int ATTEMPTS_AFTER = 10;

    @Test
    void noServerSpawnsBehindAFenceThatRanBeforeTheSpawn() throws Exception {
        try (PgPair p = PgPair.start("review-unfence", x -> x)) {
            PgControl a = p.a;
            a.fence(); // as resumeMachine: the former primary killed, read-only default written
            // a postgres "an earlier agent process left" on the same data directory (not a's own child)
            PgControl leftover = new PgControl(PgControl.DEBIAN_15, a.dataDirectory(), "127.0.0.1", a.port(), "a",
                    "postgres");
            leftover.start();
            try (OverridingClient client = OverridingClient.start(a, 1_000_000)) {
                CompletableFuture<String> unfence = CompletableFuture.supplyAsync(() -> {
                    try {
                        a.unfence();
                        return "unfence returned (writable)";
                    } catch (RuntimeException e) {
                        return "unfence threw: " + e.getMessage();
                    }
                });
                String data = a.dataDirectory().toString();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                boolean seen = false;
                while (!seen && System.nanoTime() < deadline) { // unfence is before its spawn: pg_ctl stop runs
                    seen = ProcessHandle.allProcesses().anyMatch(h -> h.info().arguments().map(args -> {
                        String s = String.join(" ", args);
                        return s.contains("stop") && s.contains(data);
                    }).orElse(false) && h.info().command().map(c -> c.endsWith("pg_ctl")).orElse(false));
                }
                a.fence(); // the fence timer at the lease's end
                long fencedAt = System.nanoTime();
                String outcome = unfence.get(90, TimeUnit.SECONDS);
                long afterUnfence = System.nanoTime();
                // what a late server would take in the client's next attempts is what the check counts: the one
                // under way when unfence ended, then ATTEMPTS_AFTER begun after it
                long attemptsBefore = client.attempts();
                await().atMost(Duration.ofSeconds(60)).until(() -> client.attempts()
                        >= attemptsBefore + 1 + ATTEMPTS_AFTER);
                long attempts = client.attempts();
                long late = client.acknowledgedAfter(fencedAt);
                long afterKill = client.acknowledgedAfter(afterUnfence);
                System.out.println("PROBE-PG sawPgCtlStop=" + seen + " outcome=" + outcome + " commits acknowledged"
                        + " after the fence returned=" + late + " (after unfence ended=" + afterKill + ") attempts="
                        + attempts + " (after unfence ended=" + (attempts - attemptsBefore) + ") pid now=" + a.pid());
                assertEquals(0, late, "overriding commits acknowledged after the fence returned (" + outcome + ")");
                assertTrue(outcome.startsWith("unfence threw: ") && outcome.contains("fenced"), outcome);
                assertTrue(a.pid().isEmpty(), "no server left running");
            }
        }
    }
}
