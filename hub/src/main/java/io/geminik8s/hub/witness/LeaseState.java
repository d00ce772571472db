package io.geminik8s.hub.witness;

/**
 * The witness's record of one site (times in ms on the hub clock, which is PostgreSQL's, shared by all replicas).
 * {@code leaseExpiresAt} and {@code holderRenewedAt} cover only leases the hub granted; leases the holder got from
 * its peer are bounded through the standby's {@code sinceLastAckMs}. {@code version} guards the compare-and-set.
 * {@code released}: the holder fenced itself and gave the epoch up for a planned switchover; no lease of it runs.
 */
public record LeaseState(String site, long epoch, String holder, long leaseExpiresAt, String standby,
                         boolean standbyEligible, long holderRenewedAt, long version, boolean released) {

    public LeaseState(String site, long epoch, String holder, long leaseExpiresAt, String standby,
                      boolean standbyEligible, long holderRenewedAt, long version) {
        this(site, epoch, holder, leaseExpiresAt, standby, standbyEligible, holderRenewedAt, version, false);
    }

    public static LeaseState fresh(String site) {
        return new LeaseState(site, 0, null, 0, null, false, 0, 0);
    }

    /** A renewal; of a released epoch, its reclaim (no standby took it). */
    LeaseState withHolderLease(long now, long leaseMs) {
        return new LeaseState(site, epoch, holder, now + leaseMs, standby, standbyEligible, now, version, false);
    }

    LeaseState withStandby(String node, boolean eligible) {
        return new LeaseState(site, epoch, holder, leaseExpiresAt, node, eligible, holderRenewedAt, version, released);
    }

    /** The holder gave its epoch up at {@code now}: its hub lease ends now. */
    LeaseState releasedAt(long now) {
        return new LeaseState(site, epoch, holder, Math.min(leaseExpiresAt, now), standby, standbyEligible,
                holderRenewedAt, version, true);
    }

    /** {@code node} becomes holder of the next epoch; the old holder becomes a standby that must catch up first. */
    LeaseState promoted(String node, long now, long leaseMs) {
        return new LeaseState(site, epoch + 1, node, now + leaseMs, holder, false, now, version, false);
    }

    /** {@code node} rebuilds the site from its repository with the next epoch; {@code peer} is not sync-eligible. */
    LeaseState rebuiltBy(String node, String peer, long now, long leaseMs) {
        return new LeaseState(site, epoch + 1, node, now + leaseMs, peer, false, now, version, false);
    }

    /** Same decision-relevant content, ignoring the version. */
    boolean sameAs(LeaseState o) {
        return epoch == o.epoch && java.util.Objects.equals(holder, o.holder) && leaseExpiresAt == o.leaseExpiresAt
                && java.util.Objects.equals(standby, o.standby) && standbyEligible == o.standbyEligible
                && holderRenewedAt == o.holderRenewedAt && released == o.released;
    }
}
