package io.geminik8s.agent.ha;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The fence timer and the loop's arm/disarm interleaved: a disarm or re-arm that comes while the timer's fence runs
 * returns only after it, a deadline disarmed or moved never fires afterwards, and the {@link LeaseGuard} tells a
 * firing its loop already covered (a disarm came after it) from one it must still learn.
 */
class FenceTimerTest {

    private static long now() {
        return System.nanoTime() / 1_000_000;
    }

    @Test
    void aDisarmDuringTheFenceReturnsOnlyOnceTheFenceIsDone() throws Exception {
        CountDownLatch fencing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger fences = new AtomicInteger();
        try (FenceTimer timer = new FenceTimer(() -> {
            fencing.countDown();
            awaitLatch(release);
            fences.incrementAndGet();
        })) {
            timer.arm(now());
            assertTrue(fencing.await(5, TimeUnit.SECONDS));
            CompletableFuture<Void> disarm = CompletableFuture.runAsync(timer::disarm);
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(1)).until(() -> !disarm.isDone());
            release.countDown();
            disarm.get(5, TimeUnit.SECONDS);
            assertEquals(1, fences.get(), "the disarm returned after the fence had finished");
        }
    }

    @Test
    void aDeadlineDisarmedOrMovedNeverFires() {
        AtomicInteger fences = new AtomicInteger();
        try (FenceTimer timer = new FenceTimer(fences::incrementAndGet)) {
            // 1 s ahead: a test thread paused between two calls must not let a deadline pass (a fence by right)
            timer.arm(now() + 1_000);
            timer.disarm();
            timer.arm(now() + 1_000);
            timer.arm(now() + 60_000); // a renewal moved it
            await().during(Duration.ofMillis(1_500)).atMost(Duration.ofSeconds(3)).until(() -> fences.get() == 0);
            timer.arm(now() + 100);
            await().atMost(Duration.ofSeconds(5)).until(() -> fences.get() == 1);
        }
    }

    @Test
    void theGuardReportsAFiringItsLoopHasNotCoveredAndSetsApartOneItHas() {
        AtomicLong reported = new AtomicLong(-1);
        AtomicInteger driverFences = new AtomicInteger();
        SiteDriver driver = new RecordingDriver(driverFences);
        try (LeaseGuard guard = new LeaseGuard(driver, null, (by, g) -> reported.set(g))) {
            guard.arm(1, now()); // the lease lapsed with the loop busy elsewhere: the timer fences
            await().atMost(Duration.ofSeconds(5)).until(() -> reported.get() >= 0);
            assertEquals(1, driverFences.get());
            assertTrue(guard.current(reported.get()), "nothing covered it yet: the machine must learn it");
            guard.disarm(); // the loop's own fence
            assertFalse(guard.current(reported.get()), "the loop's fence covered it: the report is stale");
        }
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static final class RecordingDriver implements SiteDriver {
        private final AtomicInteger fences;

        RecordingDriver(AtomicInteger fences) {
            this.fences = fences;
        }

        public void fence(long epoch) {
            fences.incrementAndGet();
        }

        public void unfence(long epoch) {
        }

        public void promote(long epoch) {
        }

        public void forcePromote(long epoch) {
        }

        public boolean localAnswers() {
            return true;
        }

        public void restartDatabase() {
        }

        public boolean peerStreaming() {
            return false;
        }

        public void useSyncStandby(String peer) {
        }

        public void dropSyncStandby(String peer) {
        }

        public void rejoin(long epoch, String holder) {
        }
    }
}
