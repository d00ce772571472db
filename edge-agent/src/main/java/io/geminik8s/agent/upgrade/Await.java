package io.geminik8s.agent.upgrade;

import java.time.Duration;
import java.util.function.Supplier;

/** Waiting for a condition the upgrade can only poll (a process's answer, the link's and the pair's state). */
final class Await {

    private Await() {
    }

    /** Null once {@code why} says nothing is missing (asked at least once), else its last reason after {@code t}. */
    static String within(Duration t, Supplier<String> why) {
        long deadline = System.nanoTime() + t.toNanos();
        for (String w = why.get(); w != null; w = why.get()) {
            if (System.nanoTime() >= deadline) {
                return w;
            }
            try {
                Thread.sleep(250); // polled on the upgrade's own thread; the deadline bounds it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
        }
        return null;
    }
}
