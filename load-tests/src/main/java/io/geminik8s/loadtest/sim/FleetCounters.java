package io.geminik8s.loadtest.sim;

import java.util.concurrent.atomic.AtomicLong;

/** What the whole simulated fleet sent (payload bytes, without MQTT framing). */
public final class FleetCounters {
    final AtomicLong connections = new AtomicLong();
    final AtomicLong messages = new AtomicLong();
    final AtomicLong bytesOut = new AtomicLong();
    final AtomicLong eventsAttempted = new AtomicLong();
    final AtomicLong eventsSent = new AtomicLong();
    final AtomicLong failures = new AtomicLong();
    final AtomicLong connects = new AtomicLong();
    final AtomicLong disconnects = new AtomicLong();
    final AtomicLong desiredApplied = new AtomicLong();
    final AtomicLong offlinePeriods = new AtomicLong();
    final AtomicLong backOnline = new AtomicLong();
    /** When the broker acknowledged each event, by "site/node/seq" (to place a lost event in time). */
    final java.util.Map<String, Long> ackedAt = new java.util.concurrent.ConcurrentHashMap<>();

    public java.util.Map<String, Long> ackedAt() {
        return ackedAt;
    }

    /** Links dropped on purpose ({@link Troubles}), and how many of those agents reconnected. */
    public long offlinePeriods() {
        return offlinePeriods.get();
    }

    public long backOnline() {
        return backOnline.get();
    }

    public long desiredApplied() {
        return desiredApplied.get();
    }

    public long connects() {
        return connects.get();
    }

    public long disconnects() {
        return disconnects.get();
    }

    public long messages() {
        return messages.get();
    }

    public long bytesOut() {
        return bytesOut.get();
    }

    public long eventsSent() {
        return eventsSent.get();
    }

    public long eventsAttempted() {
        return eventsAttempted.get();
    }

    public long failures() {
        return failures.get();
    }
}
