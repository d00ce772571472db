package io.geminik8s.hub.witness;

import io.geminik8s.protocol.WitnessReply.Outcome;
import io.geminik8s.protocol.WitnessRequest;

/**
 * The witness's decisions, as a pure function of the stored state, the request and the hub clock (docs/ha.md has
 * the table and why it is safe). The caller stores {@link Decision#next()} with compare-and-set when it differs.
 */
public final class WitnessRules {

    /** {@code leaseMs}: a holder's lease; {@code marginMs}: what the old holder needs to fence, plus drift. */
    public record Timing(long leaseMs, long marginMs) {
    }

    /** {@code rebuildTo}: a granted rebuild's target moment (ISO-8601), null for the last archived WAL and otherwise. */
    public record Decision(Outcome outcome, LeaseState next, Long leaseMs, Long retryAfterMs, String reason,
                           String rebuildTo) {
        public Decision(Outcome outcome, LeaseState next, Long leaseMs, Long retryAfterMs, String reason) {
            this(outcome, next, leaseMs, retryAfterMs, reason, null);
        }
    }

    /**
     * An operator's authorization, waiting at the hub, to rebuild a site whose two nodes were both lost ({@code gk8s
     * backup rebuild}); {@code siteNodes}: the nodes the hub knows for the site, the only ones that may take it.
     */
    public record Rebuild(String id, java.util.Set<String> siteNodes, String to, long requestedAtMs) {
        public Rebuild(String id, java.util.Set<String> siteNodes) {
            this(id, siteNodes, null, 0);
        }
    }

    private WitnessRules() {
    }

    public static Decision decide(LeaseState s, WitnessRequest r, long now, Timing t) {
        return decide(s, r, now, t, null);
    }

    /** {@code waiting}: the site's rebuild authorization, null when none waits (only {@code rebuild} looks at it). */
    public static Decision decide(LeaseState s, WitnessRequest r, long now, Timing t, Rebuild waiting) {
        return switch (r.op()) {
            case REBUILD -> rebuild(s, r, now, t, waiting);
            // a holder that released its epoch and saw no standby take it reclaims it: nobody else can hold it now,
            // and a promotion asked afterwards meets the renewed lease as in any failover
            case RENEW -> isHolder(s, r)
                    ? new Decision(Outcome.GRANTED, s.withHolderLease(now, t.leaseMs()), t.leaseMs(), null,
                            s.released() ? r.node() + " reclaimed epoch " + s.epoch() + ": no standby took it" : null)
                    : notHolder(s, r);
            // after a release the standby's eligibility is what the switchover relies on: frozen until it is decided
            case PEER_LOST, PEER_OK -> s.released() && isHolder(s, r)
                    ? refused(s, r.node() + " released epoch " + s.epoch() + ": its standby's eligibility stays as it was")
                    : peer(s, r);
            case PROMOTE -> promote(s, r, now, t);
            case FORCE -> force(s, r, now, t);
            case RELEASE -> !isHolder(s, r) ? notHolder(s, r)
                    : s.standby() == null || !s.standbyEligible()
                    ? refused(s, "no sync-eligible standby to take epoch " + s.epoch() + ": keep it")
                    : new Decision(Outcome.GRANTED, s.releasedAt(now), 0L, null, r.node() + " released epoch "
                            + s.epoch() + " for a planned switchover");
        };
    }

    private static Decision peer(LeaseState s, WitnessRequest r) {
        return switch (r.op()) {
            case PEER_LOST -> isHolder(s, r)
                    ? new Decision(Outcome.GRANTED, s.withStandby(r.peer(), false), null, null,
                            r.peer() + " is not sync-eligible")
                    : notHolder(s, r);
            default -> isHolder(s, r)
                    ? new Decision(Outcome.GRANTED, s.withStandby(r.peer(), true), null, null,
                            r.peer() + " is sync-eligible")
                    : notHolder(s, r);
        };
    }

    private static Decision promote(LeaseState s, WitnessRequest r, long now, Timing t) {
        String node = r.node();
        long wanted = r.epoch();
        if (s.holder() == null && s.epoch() == 0 && wanted == 1) {
            return new Decision(Outcome.GRANTED, s.promoted(node, now, t.leaseMs()), t.leaseMs(), null, "bootstrap");
        }
        if (wanted == s.epoch() && node.equals(s.holder())) { // a repeated request after the grant
            return new Decision(Outcome.GRANTED, s, Math.max(0, s.leaseExpiresAt() - now), null, null);
        }
        if (wanted != s.epoch() + 1) {
            return refused(s, "epoch " + wanted + " is not next: current epoch " + s.epoch() + " held by " + s.holder());
        }
        if (node.equals(s.holder())) {
            return refused(s, node + " already holds epoch " + s.epoch());
        }
        if (!node.equals(s.standby()) || !s.standbyEligible()) {
            return refused(s, node + " is not sync-eligible");
        }
        if (s.released()) { // the holder fenced itself before it said so: nothing of its lease runs
            return new Decision(Outcome.GRANTED, s.promoted(node, now, t.leaseMs()), t.leaseMs(), null,
                    "epoch " + (s.epoch() + 1) + " granted: " + s.holder() + " released epoch " + s.epoch()
                            + " for a planned switchover");
        }
        long silenceStarted = now - r.sinceLastAckMs();
        if (s.holderRenewedAt() > silenceStarted && now < s.leaseExpiresAt()) {
            return refused(s, "holder " + s.holder() + " of epoch " + s.epoch() + " renewed its lease "
                    + (now - s.holderRenewedAt()) + " ms ago, after " + node + " lost it");
        }
        // the holder's lease from the standby's last ack, or from us, has lapsed; plus the margin
        long ready = Math.max(silenceStarted + t.leaseMs(), s.leaseExpiresAt()) + t.marginMs();
        if (now < ready) {
            return new Decision(Outcome.WAIT, s, null, ready - now, "lease of epoch " + s.epoch() + " held by "
                    + s.holder() + " lapses in " + (ready - now) + " ms");
        }
        return new Decision(Outcome.GRANTED, s.promoted(node, now, t.leaseMs()), t.leaseMs(), null,
                "epoch " + (s.epoch() + 1) + " granted after the lease of " + s.holder() + " lapsed");
    }

    /** An operator's force-promote on the standby: recorded, unless the holder's hub lease shows it alive. */
    private static Decision force(LeaseState s, WitnessRequest r, long now, Timing t) {
        String node = r.node();
        if (r.epoch() == s.epoch() && node.equals(s.holder())) { // a repeated request after it was recorded
            return new Decision(Outcome.GRANTED, s.withHolderLease(now, t.leaseMs()), t.leaseMs(), null, null);
        }
        if (r.epoch() != s.epoch() + 1) {
            return refused(s, "epoch " + r.epoch() + " is not next: current epoch " + s.epoch() + " held by "
                    + s.holder());
        }
        if (node.equals(s.holder()) || (s.standby() != null && !node.equals(s.standby()))) {
            return refused(s, node + " is not the standby of this site");
        }
        if (now < s.leaseExpiresAt()) {
            return refused(s, "holder " + s.holder() + " of epoch " + s.epoch() + " renewed its lease "
                    + (now - s.holderRenewedAt()) + " ms ago: it is alive; force-promote refused");
        }
        return new Decision(Outcome.GRANTED, s.promoted(node, now, t.leaseMs()), t.leaseMs(), null,
                "epoch " + r.epoch() + " forced by the operator of " + node);
    }

    /**
     * A fresh node restoring the site from its repository after both nodes were lost: the next epoch, once per
     * operator's authorization, to a node of the site; its peer is not sync-eligible (it has no data yet), so no
     * promotion can take the epoch from the rebuilt primary until it has a synchronous standby again.
     */
    private static Decision rebuild(LeaseState s, WitnessRequest r, long now, Timing t, Rebuild waiting) {
        String node = r.node();
        if (!r.site().equals(s.site())) {
            return refused(s, node + " of site " + r.site() + " cannot rebuild site " + s.site());
        }
        if (r.epoch() == s.epoch() && node.equals(s.holder())) { // a repeated request after the grant
            return new Decision(Outcome.GRANTED, s, Math.max(0, s.leaseExpiresAt() - now), null, null);
        }
        if (waiting == null) {
            return refused(s, "no rebuild of site " + s.site() + " is authorized (epoch " + s.epoch() + " is held by "
                    + s.holder() + "); if both nodes were lost, an operator authorizes one: gk8s backup rebuild"
                    + " --site " + s.site());
        }
        if (!waiting.siteNodes().contains(node)) {
            return refused(s, node + " is not a node of site " + s.site() + ": no rebuild");
        }
        if (r.epoch() != s.epoch() + 1) {
            return refused(s, "epoch " + r.epoch() + " is not next: current epoch " + s.epoch() + " held by "
                    + s.holder());
        }
        if (s.holder() != null && s.holderRenewedAt() > waiting.requestedAtMs()) {
            return refused(s, "holder " + s.holder() + " of epoch " + s.epoch() + " renewed its lease "
                    + (now - s.holderRenewedAt()) + " ms ago, after the rebuild was authorized: it is alive, not lost;"
                    + " no rebuild");
        }
        long ready = s.leaseExpiresAt() + t.marginMs(); // as for any new holder: the old one's hub lease lapsed
        if (now < ready) {
            return new Decision(Outcome.WAIT, s, null, ready - now, "lease of epoch " + s.epoch() + " held by "
                    + s.holder() + " lapses in " + (ready - now) + " ms");
        }
        String peer = waiting.siteNodes().stream().filter(n -> !n.equals(node)).sorted().findFirst().orElse(null);
        return new Decision(Outcome.GRANTED, s.rebuiltBy(node, peer, now, t.leaseMs()), t.leaseMs(), null,
                "epoch " + r.epoch() + " granted to " + node + " to rebuild the site from its repository ("
                        + waiting.id() + ")", waiting.to());
    }

    private static boolean isHolder(LeaseState s, WitnessRequest r) {
        return r.node().equals(s.holder()) && r.epoch() == s.epoch();
    }

    private static Decision notHolder(LeaseState s, WitnessRequest r) {
        return refused(s, r.node() + " does not hold epoch " + r.epoch() + " (epoch " + s.epoch() + " is held by "
                + s.holder() + ")");
    }

    private static Decision refused(LeaseState s, String reason) {
        return new Decision(Outcome.REFUSED, s, null, null, reason);
    }
}
