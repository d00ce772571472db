package io.geminik8s.agent.ha;

import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Keeps the fences that do not wait for the supervisor's loop on the lease: the {@link FenceTimer} (a thread of this
 * JVM, for a loop blocked on I/O) and the {@link Watchdog} (a process of its own, for a frozen or dead JVM). Their
 * firing reaches the loop as an input of the state machine, never as a fact the machine does not know. A firing
 * the loop's own fence already covered (it disarmed them meanwhile) is told apart by the generation, which grows
 * after every completed disarm: a disarm returns only once no fence of theirs runs or can still start.
 * Loop thread only, apart from the callbacks.
 */
final class LeaseGuard implements AutoCloseable {

    /** A fence fired outside the loop: {@code by} what, in which generation of the guard. */
    interface Fired {
        void fired(String by, long generation);
    }

    private final FenceTimer timer;
    private final Watchdog watchdog;
    private volatile long generation;
    private volatile long epoch;
    private long armedAt;

    /** {@code watchdogs}: starts the watchdog given where its firing goes; {@code null}: no watchdog (tests). */
    LeaseGuard(SiteDriver driver, Function<Consumer<String>, Watchdog> watchdogs, Fired fired) {
        this.timer = new FenceTimer(() -> {
            long g = generation;
            driver.fence(epoch);
            fired.fired("fence timer", g);
        });
        this.watchdog = watchdogs == null ? null : watchdogs.apply(line -> fired.fired(line, generation));
    }

    /** This node holds {@code epoch} until {@code deadlineMs} (monotonic): both fences armed on it, if it moved. */
    void arm(long epoch, long deadlineMs) {
        if (deadlineMs == armedAt && epoch == this.epoch) {
            return;
        }
        this.epoch = epoch;
        armedAt = deadlineMs;
        timer.arm(deadlineMs);
        if (watchdog != null) {
            watchdog.arm(deadlineMs);
        }
    }

    /** Nothing to guard (the loop fences, or the node does not hold its epoch); waits for a fence of theirs. */
    void disarm() {
        armedAt = 0;
        timer.disarm();
        if (watchdog != null) {
            watchdog.disarm();
        }
        generation++;
    }

    /** Whether a firing reported in {@code g} happened since the last disarm (else the loop's fence covered it). */
    boolean current(long g) {
        return g == generation;
    }

    long generation() {
        return generation;
    }

    @Override
    public void close() {
        timer.close();
        if (watchdog != null) {
            watchdog.close();
        }
    }
}
