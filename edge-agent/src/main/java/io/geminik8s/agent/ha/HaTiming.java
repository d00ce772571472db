package io.geminik8s.agent.ha;

/**
 * HA timing on the agent side (ms). {@code leaseMs} should equal the hub's {@code gk8s.witness.lease}: a primary
 * that learns a shorter hub lease counts its lease with that one and reports the mismatch ({@link PairMachine#leaseMs}).
 * docs/ha.md has the failover budget these defaults give.
 */
public record HaTiming(long heartbeatMs, long peerSilenceMs, long leaseMs, long hubRetryMs) {

    public static final HaTiming DEFAULTS = new HaTiming(250, 1500, 3000, 500);

    public HaTiming {
        if (peerSilenceMs >= leaseMs) {
            throw new IllegalArgumentException("peer silence must be shorter than the lease, or the holder fences "
                    + "before it even asks the hub");
        }
    }
}
