package io.geminik8s.agent.ha;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The fence deadline on a thread of its own: whatever the agent's loop is blocked on (a hung JDBC call, a DNS
 * lookup, a full disk), the fence runs when the lease lapses. Re-arming moves the deadline; the fence itself must
 * be quick and idempotent.
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

    public FenceTimer(Runnable fence) {
        this.fence = fence;
    }

    /** Fence when the monotonic clock ({@link System#nanoTime()} in ms) reaches {@code deadlineMs}. */
    public synchronized void arm(long deadlineMs) {
        if (pending != null) {
            pending.cancel(false);
        }
        long delay = Math.max(0, deadlineMs - System.nanoTime() / 1_000_000);
        pending = thread.schedule(fence, delay, TimeUnit.MILLISECONDS);
    }

    public synchronized void disarm() {
        if (pending != null) {
            pending.cancel(false);
            pending = null;
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
