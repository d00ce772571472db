package io.geminik8s.hub;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/** At most N log lines per minute for something a hostile or broken client can repeat at will; the rest are counted. */
public final class LogBudget {

    private final IntSupplier perMinute;
    private final AtomicLong window = new AtomicLong();
    private final AtomicInteger used = new AtomicInteger();

    public LogBudget(IntSupplier perMinute) {
        this.perMinute = perMinute;
    }

    /** True when this occurrence may be logged. */
    public boolean allow() {
        long minute = System.currentTimeMillis() / 60_000;
        if (window.getAndSet(minute) != minute) {
            used.set(0);
        }
        return used.incrementAndGet() <= perMinute.getAsInt();
    }
}
