package io.geminik8s.agent.link;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongUnaryOperator;

/**
 * Exponential backoff with full jitter: attempt n waits a uniform random time in [0, min(max, initial * 2^n)].
 * Spreads a fleet's reconnects over the whole window after a hub or broker restart instead of synchronising them.
 */
public final class Backoff {

    private final long initialMs;
    private final long maxMs;
    private final LongUnaryOperator random; // bound (exclusive) -> value in [0, bound)

    public Backoff(Duration initial, Duration max) {
        this(initial, max, bound -> ThreadLocalRandom.current().nextLong(bound));
    }

    Backoff(Duration initial, Duration max, LongUnaryOperator random) {
        this.initialMs = initial.toMillis();
        this.maxMs = max.toMillis();
        this.random = random;
    }

    /** Upper bound of the delay for attempt {@code attempt} (0-based). */
    public long capMs(int attempt) {
        int shift = Math.min(attempt, 30);
        return Math.min(maxMs, initialMs << shift);
    }

    public long delayMs(int attempt) {
        return random.applyAsLong(capMs(attempt) + 1);
    }

    /**
     * The delay for attempt {@code attempt}, or at most the first attempt's cap while {@code urgent}: a node in the
     * middle of a failover waits on the hub's witness and must not sleep through the hub's return (only nodes that are
     * failing over or fenced, so this does not undo the spreading of a fleet's reconnects).
     */
    public long delayMs(int attempt, boolean urgent) {
        return delayMs(urgent ? 0 : attempt);
    }
}
