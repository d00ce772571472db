package io.geminik8s.agent.ha;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The fence deadline on a thread of its own: whatever the agent's loop is blocked on (a hung JDBC call, a DNS
 * lookup, a full disk), the fence runs when the lease lapses. Re-arming moves the deadline. The fence runs holding
 * this timer's lock, and a fire checks under it that it is still the armed one: {@link #arm} and {@link #disarm}
 * return only once a fence already running has finished, and after they return no earlier deadline fires.
 */
public final class FenceTimer implements AutoCloseable {

    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gk8s-fence-timer");
        t.setDaemon(true);
        t.setPriority(Thread.MAX_PRIORITY);
        return t;
    });
    private final Runnable fence;
    private ScheduledFuture<?> pending;
    private long armed;

    public FenceTimer(Runnable fence) {
        this.fence = fence;
    }

    /** Fence when the monotonic clock ({@link System#nanoTime()} in ms) reaches {@code deadlineMs}. */
    public synchronized void arm(long deadlineMs) {
        disarm();
        long delay = Math.max(0, deadlineMs - System.nanoTime() / 1_000_000);
        long mine = armed;
        pending = thread.schedule(() -> fire(mine), delay, TimeUnit.MILLISECONDS);
    }

    public synchronized void disarm() {
        armed++;
        if (pending != null) {
            pending.cancel(false);
            pending = null;
        }
    }

    private synchronized void fire(long which) {
        if (which != armed) {
            return; // re-armed or disarmed after this deadline was scheduled
        }
        pending = null;
        armed++;
        fence.run();
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
