package io.geminik8s.agent;

import io.geminik8s.protocol.Health;
import io.geminik8s.protocol.HealthDelta;

/**
 * Decides, per health sample, what goes on the wire (docs/protocol.md, "Health"): a complete sample as a
 * connection's first, at least every {@link HealthDelta#COMPLETE_EVERY}th, and whenever a field that stays put on a
 * connection (totals, PostgreSQL, certificates, applied generation, runtime) differs from either of the two samples
 * before — so a change goes out complete twice and one lost sample hides nothing; otherwise a delta (protocol 1.4),
 * ~100 bytes shorter (no session, totals or uptime). Also decides which samples go at QoS 1: every
 * {@code ackEvery}th, so that the broker's PUBACK proves the connection without a PINGREQ (0: none).
 */
final class HealthShaper {

    /** What to send and how. */
    record Shaped(Health health, boolean complete, int qos) {
    }

    private final int ackEvery;
    private Health last;
    private Health beforeLast;
    private int sinceComplete;
    private long count;

    HealthShaper(int ackEvery) {
        this.ackEvery = ackEvery;
    }

    /** {@code sample}: the complete sample with its connection's session. */
    synchronized Shaped shape(Health sample) {
        boolean sameConnection = last != null && java.util.Objects.equals(last.session(), sample.session());
        if (!sameConnection) {
            beforeLast = null;
            count = 0;
        }
        boolean complete = !sameConnection || sinceComplete + 1 >= HealthDelta.COMPLETE_EVERY
                || !HealthDelta.steadyBetween(last, sample) || HealthDelta.lostAField(last, sample)
                || beforeLast != null && !HealthDelta.steadyBetween(beforeLast, sample);
        beforeLast = sameConnection ? last : null;
        last = sample;
        sinceComplete = complete ? 0 : sinceComplete + 1;
        int qos = ackEvery > 0 && count++ % ackEvery == 0 ? 1 : 0;
        return new Shaped(complete ? sample : HealthDelta.strip(sample), complete, qos);
    }

    /**
     * Every how many samples one goes at QoS 1 so that, with the broker's PUBACK read in time, the MQTT client never
     * pings (it pings after reading nothing for a keepalive): (keepalive − 1 s) ÷ interval, 0 (only QoS 0, the
     * client's pings prove the connection) when the keepalive is not longer than the interval.
     */
    static int ackEvery(java.time.Duration keepalive, java.time.Duration interval) {
        return (int) Math.max(0, (keepalive.toMillis() - 1000) / Math.max(1, interval.toMillis()));
    }
}
