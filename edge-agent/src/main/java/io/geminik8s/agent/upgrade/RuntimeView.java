package io.geminik8s.agent.upgrade;

import io.geminik8s.protocol.Health;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * What runs on the node, for health ({@code runtime}): K3s's version, its readiness and the VIP's answer, which are
 * asked again only after a step, a new version, or every 10 s (each is a process or a connection).
 */
final class RuntimeView {

    private static final long PROBE_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final K3sVersions k3s;
    private final PairView pair;
    private long probedAt = Long.MIN_VALUE / 2;
    private String probedVersion;
    private Boolean ready;
    private Boolean vip;
    private volatile Health.Runtime runtime;

    RuntimeView(K3sVersions k3s, PairView pair) {
        this.k3s = k3s;
        this.pair = pair;
    }

    Health.Runtime runtime() {
        return runtime;
    }

    /** {@code fresh}: a step was taken, so readiness and the VIP are asked now. */
    synchronized void observe(String running, boolean fresh, UpgradeRecord r) {
        long now = System.nanoTime();
        if (fresh || now - probedAt >= PROBE_EVERY_NANOS || !Objects.equals(running, probedVersion)) {
            ready = running == null ? null : k3s.ready();
            vip = pair.vipAnswers();
            probedAt = now;
            probedVersion = running;
        }
        publish(running, r);
    }

    /** As {@link #observe}, with a readiness just asked. */
    synchronized void observeReady(String running, boolean askedReady, UpgradeRecord r) {
        ready = running == null ? null : askedReady;
        probedVersion = running;
        publish(running, r);
    }

    private void publish(String running, UpgradeRecord r) {
        runtime = new Health.Runtime(running == null ? null : Map.of("k3s", running), ready, vip,
                r == null ? null : r.report());
    }
}
