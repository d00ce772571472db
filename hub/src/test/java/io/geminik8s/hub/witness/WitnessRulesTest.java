package io.geminik8s.hub.witness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.witness.WitnessRules.Decision;
import io.geminik8s.hub.witness.WitnessRules.Timing;
import io.geminik8s.protocol.WitnessReply.Outcome;
import io.geminik8s.protocol.WitnessRequest;
import io.geminik8s.protocol.WitnessRequest.Op;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WitnessRulesTest {

    private static final Timing T = new Timing(3000, 1500);

    private static WitnessRequest req(String node, Op op, long epoch, String peer, Long silentMs) {
        return new WitnessRequest("1.0", "r", "s1", node, 0L, op, epoch, peer, silentMs);
    }

    /** a holds epoch 1 since t=0 (bootstrap), b reported sync-eligible. */
    private static LeaseState pair() {
        LeaseState s = WitnessRules.decide(LeaseState.fresh("s1"), req("a", Op.PROMOTE, 1, null, 0L), 0, T).next();
        return WitnessRules.decide(s, req("a", Op.PEER_OK, 1, "b", null), 10, T).next();
    }

    @Test
    void bootstrapGivesEpochOneToTheFirstAsker() {
        Decision d = WitnessRules.decide(LeaseState.fresh("s1"), req("a", Op.PROMOTE, 1, null, 0L), 100, T);
        assertEquals(Outcome.GRANTED, d.outcome());
        assertEquals(1, d.next().epoch());
        assertEquals("a", d.next().holder());
        assertEquals(Outcome.REFUSED, WitnessRules.decide(d.next(), req("b", Op.PROMOTE, 1, null, 0L), 101, T)
                .outcome(), "the same epoch is never granted twice");
    }

    @Test
    void theStandbyWaitsForTheHoldersLeaseFromItsLastAckPlusTheMarginThenGetsTheNextEpoch() {
        LeaseState s = pair();
        // b last acked a 1500 ms before asking at t=100000: a's lease may last until 98500 + 3000
        Decision first = WitnessRules.decide(s, req("b", Op.PROMOTE, 2, null, 1500L), 100_000, T);
        assertEquals(Outcome.WAIT, first.outcome());
        assertEquals(3000, first.retryAfterMs(), "98500 + 3000 + 1500 - 100000");
        Decision early = WitnessRules.decide(s, req("b", Op.PROMOTE, 2, null, 4499L), 102_999, T);
        assertEquals(Outcome.WAIT, early.outcome());
        Decision granted = WitnessRules.decide(s, req("b", Op.PROMOTE, 2, null, 4500L), 103_000, T);
        assertEquals(Outcome.GRANTED, granted.outcome());
        assertEquals(2, granted.next().epoch());
        assertEquals("b", granted.next().holder());
        assertEquals("a", granted.next().standby());
        assertTrue(!granted.next().standbyEligible(), "the old primary must rejoin and catch up first");
        Decision again = WitnessRules.decide(granted.next(), req("b", Op.PROMOTE, 2, null, 6000L), 104_500, T);
        assertEquals(Outcome.GRANTED, again.outcome(), "idempotent per epoch");
        assertEquals(2, again.next().epoch());
    }

    @Test
    void aReleasedEpochGoesToTheEligibleStandbyAtOnceAndOnlyToIt() {
        LeaseState s = WitnessRules.decide(pair(), req("a", Op.RENEW, 1, null, null), 50_000, T).next();
        assertEquals(Outcome.REFUSED, WitnessRules.decide(s, req("b", Op.RELEASE, 1, null, null), 50_100, T).outcome(),
                "only the holder gives its epoch up");
        Decision released = WitnessRules.decide(s, req("a", Op.RELEASE, 1, null, null), 50_100, T);
        assertEquals(Outcome.GRANTED, released.outcome());
        assertTrue(released.next().released());
        assertEquals(50_100, released.next().leaseExpiresAt(), "its hub lease ends now");
        assertEquals(Outcome.GRANTED, WitnessRules.decide(released.next(), req("a", Op.RELEASE, 1, null, null), 50_300,
                T).outcome(), "idempotent");
        assertEquals(Outcome.REFUSED, WitnessRules.decide(released.next(), req("a", Op.PEER_LOST, 1, "b", null), 50_200,
                T).outcome(), "a late peer-lost cannot make the standby ineligible after the release");
        // b acked a 10 ms ago: without the release it would wait the whole lease plus the margin
        Decision granted = WitnessRules.decide(released.next(), req("b", Op.PROMOTE, 2, null, 10L), 50_200, T);
        assertEquals(Outcome.GRANTED, granted.outcome());
        assertEquals(2, granted.next().epoch());
        assertEquals("b", granted.next().holder());
        assertTrue(!granted.next().released(), "the new holder's epoch is not released");
        assertEquals(Outcome.REFUSED, WitnessRules.decide(granted.next(), req("a", Op.RENEW, 1, null, null), 50_300, T)
                .outcome(), "the old holder cannot take it back once the standby holds the next epoch");
        assertEquals(Outcome.WAIT, WitnessRules.decide(s, req("b", Op.PROMOTE, 2, null, 10L), 50_200, T).outcome(),
                "the same ask without the release waits");
    }

    @Test
    void aHolderWhoseReleaseNobodyTookReclaimsItAndALaterPromotionWaitsAsInAFailover() {
        LeaseState released = WitnessRules.decide(pair(), req("a", Op.RELEASE, 1, null, null), 1000, T).next();
        Decision reclaim = WitnessRules.decide(released, req("a", Op.RENEW, 1, null, null), 7000, T);
        assertEquals(Outcome.GRANTED, reclaim.outcome());
        assertTrue(!reclaim.next().released());
        assertEquals(Outcome.REFUSED, WitnessRules.decide(reclaim.next(), req("b", Op.PROMOTE, 2, null, 100L), 7050, T)
                .outcome(), "the holder renewed after the standby last heard it: alive");
    }

    @Test
    void noReleaseWithoutASyncEligibleStandby() {
        LeaseState lost = WitnessRules.decide(pair(), req("a", Op.PEER_LOST, 1, "b", null), 20, T).next();
        Decision release = WitnessRules.decide(lost, req("a", Op.RELEASE, 1, null, null), 30, T);
        assertEquals(Outcome.REFUSED, release.outcome(), "the holder keeps its epoch: nobody could take it");
        assertTrue(!release.next().released());
        LeaseState noStandby = WitnessRules.decide(LeaseState.fresh("s1"), req("a", Op.PROMOTE, 1, null, 0L), 0, T).next();
        assertEquals(Outcome.REFUSED, WitnessRules.decide(noStandby, req("a", Op.RELEASE, 1, null, null), 10, T)
                .outcome());
    }

    @Test
    void aStandbyThatHeardThePrimaryAgainStartsItsWaitOver() {
        LeaseState s = pair();
        assertEquals(Outcome.WAIT, WitnessRules.decide(s, req("b", Op.PROMOTE, 2, null, 2000L), 100_000, T).outcome());
        // b heard a again and acked at 101000, then lost it: an ask at 150000 only 1600 ms after its last ack
        Decision d = WitnessRules.decide(s, req("b", Op.PROMOTE, 2, null, 1600L), 150_000, T);
        assertEquals(Outcome.WAIT, d.outcome());
        assertEquals(2900, d.retryAfterMs());
    }

    @Test
    void whileThePrimaryRenewsWithTheHubTheStandbyIsRefused() {
        LeaseState s = pair();
        s = WitnessRules.decide(s, req("a", Op.RENEW, 1, null, null), 100_000, T).next();
        Decision d = WitnessRules.decide(s, req("b", Op.PROMOTE, 2, null, 2000L), 100_500, T);
        assertEquals(Outcome.REFUSED, d.outcome());
        assertTrue(d.reason().contains("renewed its lease"), d.reason());
    }

    @Test
    void aPrimaryThatReportedItsPeerLostMakesItIneligible() {
        LeaseState s = pair();
        Decision lost = WitnessRules.decide(s, req("a", Op.PEER_LOST, 1, "b", null), 100_000, T);
        assertEquals(Outcome.GRANTED, lost.outcome());
        Decision d = WitnessRules.decide(lost.next(), req("b", Op.PROMOTE, 2, null, 60_000L), 200_000, T);
        assertEquals(Outcome.REFUSED, d.outcome(), "a may have committed writes b never saw");
        assertEquals("b is not sync-eligible", d.reason());
        LeaseState back = WitnessRules.decide(lost.next(), req("a", Op.PEER_OK, 1, "b", null), 200_001, T).next();
        assertTrue(back.standbyEligible());
    }

    @Test
    void onlyTheHolderOfTheCurrentEpochMayRenewOrReportItsPeer() {
        LeaseState s = pair();
        assertEquals(Outcome.REFUSED, WitnessRules.decide(s, req("b", Op.RENEW, 1, null, null), 1, T).outcome());
        assertEquals(Outcome.REFUSED, WitnessRules.decide(s, req("a", Op.RENEW, 0, null, null), 1, T).outcome());
        assertEquals(Outcome.REFUSED, WitnessRules.decide(s, req("b", Op.PEER_OK, 1, "b", null), 1, T).outcome());
        assertEquals(Outcome.REFUSED, WitnessRules.decide(s, req("b", Op.PROMOTE, 3, null, 9999L), 99_999, T)
                .outcome(), "epochs are granted one at a time");
    }

    /**
     * The safety property, checked over random histories: whenever the witness grants epoch N+1, every lease the
     * old holder can still believe in (from the standby's last ack, or from the hub) has ended at least
     * {@code margin} earlier, on the hub's clock.
     */
    @Test
    void noGrantWhileTheOldHoldersLeaseCanStillBeAlive() {
        Random random = new Random(7);
        int grants = 0;
        for (int run = 0; run < 2000; run++) {
            LeaseState s = pair();
            long now = 1_000;
            long lastAck = now; // hub time at which b last acked a (b's clock converted; requests carry the age)
            long lastHubLeaseEnd = 0;
            for (int step = 0; step < 200; step++) {
                now += random.nextInt(1000);
                switch (random.nextInt(10)) {
                    case 0 -> lastAck = now; // b hears a and acks
                    case 1 -> {
                        Decision d = WitnessRules.decide(s, req("a", Op.RENEW, s.epoch(), null, null), now, T);
                        if (d.outcome() == Outcome.GRANTED) {
                            lastHubLeaseEnd = now + d.leaseMs();
                            s = d.next();
                        }
                    }
                    default -> {
                        Decision d = WitnessRules.decide(s, req("b", Op.PROMOTE, s.epoch() + 1, null, now - lastAck),
                                now, T);
                        if (d.outcome() == Outcome.GRANTED && !"b".equals(s.holder())) {
                            grants++;
                            long peerLeaseEnd = lastAck + T.leaseMs();
                            assertTrue(now >= Math.max(peerLeaseEnd, lastHubLeaseEnd) + T.marginMs(),
                                    "run " + run + ": granted at " + now + " but a's lease may last until "
                                            + Math.max(peerLeaseEnd, lastHubLeaseEnd));
                        }
                        s = d.next();
                    }
                }
                if ("b".equals(s.holder())) {
                    break;
                }
            }
        }
        assertTrue(grants > 200, "the histories must reach promotions, got " + grants);
        System.out.println("witness property: " + grants + " promotions in 2000 random histories, none unsafe");
    }

    @Test
    void aForcedPromotionIsRecordedOnlyOnceTheHoldersHubLeaseRanOutAndOnlyForTheNextEpoch() {
        LeaseState s = WitnessRules.decide(pair(), req("a", Op.RENEW, 1, null, null), 1000, T).next(); // lease to 4000
        Decision alive = WitnessRules.decide(s, req("b", Op.FORCE, 2, null, null), 3999, T);
        assertEquals(Outcome.REFUSED, alive.outcome());
        assertTrue(alive.reason().contains("it is alive"), alive.reason());
        assertEquals(Outcome.REFUSED, WitnessRules.decide(s, req("b", Op.FORCE, 3, null, null), 5000, T).outcome(),
                "only the next epoch");
        assertEquals(Outcome.REFUSED, WitnessRules.decide(s, req("c", Op.FORCE, 2, null, null), 5000, T).outcome(),
                "only the site's standby");
        Decision forced = WitnessRules.decide(s, req("b", Op.FORCE, 2, null, null), 4000, T);
        assertEquals(Outcome.GRANTED, forced.outcome(), "no sync-eligibility or margin needed: the operator decided");
        assertEquals(2, forced.next().epoch());
        assertEquals("b", forced.next().holder());
        assertEquals(Outcome.GRANTED, WitnessRules.decide(forced.next(), req("b", Op.FORCE, 2, null, null), 4100, T)
                .outcome(), "repeated requests are idempotent");
        assertEquals(Outcome.REFUSED, WitnessRules.decide(forced.next(), req("a", Op.RENEW, 1, null, null), 4200, T)
                .outcome(), "the old holder is told its epoch is over");
    }
}
