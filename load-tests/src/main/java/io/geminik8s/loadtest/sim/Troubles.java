package io.geminik8s.loadtest.sim;

import java.time.Duration;

/**
 * What goes wrong in a real fleet, mixed into the simulated one: a share of sites whose standby stops streaming
 * (failing: the hub must show them degraded), a share of agents whose samples reach the broker {@code slowBy} late
 * (an overloaded node or link), and links that drop — {@code offlinePerMinute} times a minute a random agent loses its
 * connection (the broker sends its Last Will) and comes back {@code offlineFor} later with a new session and birth.
 */
public record Troubles(double failingShare, double slowShare, Duration slowBy, double offlinePerMinute,
                       Duration offlineFor) {

    public static final Troubles NONE = new Troubles(0, 0, Duration.ZERO, 0, Duration.ZERO);

    public Troubles {
        if (failingShare < 0 || failingShare > 1 || slowShare < 0 || slowShare > 1) {
            throw new IllegalArgumentException("failing and slow shares are fractions in [0, 1]");
        }
        if (offlinePerMinute < 0 || slowBy.isNegative() || offlineFor.isNegative()) {
            throw new IllegalArgumentException("offline rate and durations must not be negative");
        }
    }
}
