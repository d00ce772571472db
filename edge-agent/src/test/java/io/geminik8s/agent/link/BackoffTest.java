package io.geminik8s.agent.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BackoffTest {

    private final Backoff backoff = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(60));

    @Test
    void capDoublesPerAttemptUpToTheMaximum() {
        assertEquals(500, backoff.capMs(0));
        assertEquals(1000, backoff.capMs(1));
        assertEquals(60_000, backoff.capMs(7)); // 500 * 2^7 = 64 s, capped
        assertEquals(60_000, backoff.capMs(1000));
    }

    @Test
    void delaysAreSpreadOverTheWholeWindow() {
        int attempt = 10; // cap 60 s: a fleet reconnecting after a hub restart
        int n = 20_000;
        Set<Long> distinct = new HashSet<>();
        long sum = 0;
        long min = Long.MAX_VALUE;
        long max = 0;
        int[] buckets = new int[10];
        for (int i = 0; i < n; i++) {
            long d = backoff.delayMs(attempt);
            assertTrue(d >= 0 && d <= 60_000, "delay " + d + " outside [0, cap]");
            distinct.add(d);
            sum += d;
            min = Math.min(min, d);
            max = Math.max(max, d);
            buckets[(int) Math.min(9, d / 6_000)]++;
        }
        assertTrue(distinct.size() > n / 2, "delays must differ, got " + distinct.size() + " distinct");
        assertTrue(min < 1_000 && max > 59_000, "full jitter reaches both ends: " + min + ".." + max);
        double mean = (double) sum / n;
        assertTrue(Math.abs(mean - 30_000) < 1_500, "uniform mean near cap/2, got " + mean);
        for (int b : buckets) { // every tenth of the window gets its share: no synchronised spike
            assertTrue(b > n / 10 * 0.8 && b < n / 10 * 1.2, "bucket count " + b);
        }
    }

    @Test
    void anUrgentAttemptWaitsNoLongerThanTheFirst() {
        for (int i = 0; i < 2_000; i++) {
            long d = backoff.delayMs(12, true);
            assertTrue(d >= 0 && d <= 500, "urgent delay " + d + " above the first attempt's cap");
        }
        long longest = 0;
        for (int i = 0; i < 2_000; i++) {
            longest = Math.max(longest, backoff.delayMs(12, false));
        }
        assertTrue(longest > 30_000, "not urgent: the full window, got at most " + longest);
    }
}
