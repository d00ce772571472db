package io.geminik8s.hub.witness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.geminik8s.hub.witness.WitnessRules.Decision;
import io.geminik8s.hub.witness.WitnessRules.Timing;
import io.geminik8s.protocol.WitnessReply.Outcome;
import io.geminik8s.protocol.WitnessRequest;
import io.geminik8s.protocol.WitnessRequest.Op;
import org.junit.jupiter.api.Test;

/**
 * Review probes (review14) of the witness's release op. The first two failed on the reviewed code (they pass since the fix): a planned
 * switchover can strand a site with no writer at all (the old holder fenced and released, the standby refused
 * forever), and nothing but an operator's force-promote gets it out. The last one passes: a release is bound to its
 * epoch, so a replayed release of an old epoch cannot touch a newer holder.
 */
class ReviewProbeReleaseTest {

    private static final Timing T = new Timing(3000, 1500);

    private static WitnessRequest req(String node, Op op, long epoch, String peer, Long silentMs) {
        return new WitnessRequest("1.3", "r", "s1", node, 0L, op, epoch, peer, silentMs);
    }

    /** a holds epoch 1, b sync-eligible, a renewed at 50 000. */
    private static LeaseState pair() {
        LeaseState s = WitnessRules.decide(LeaseState.fresh("s1"), req("a", Op.PROMOTE, 1, null, 0L), 0, T).next();
        s = WitnessRules.decide(s, req("a", Op.PEER_OK, 1, "b", null), 10, T).next();
        return WitnessRules.decide(s, req("a", Op.RENEW, 1, null, null), 50_000, T).next();
    }

    /**
     * The primary asked peer-lost (its standby stopped streaming for the peer-silence time) and, before the answer
     * came back (syncPeer still true), the upgrade thread's handOver() fenced it and it released. Whether the hub
     * handles the peer-lost after the release (another replica, a redelivery, a CAS retry), the standby is refused for
     * good; the released holder can renew nothing. No writer, no way back but a force-promote.
     */
    @Test
    void aPeerLostDecidedAfterTheReleaseMustNotStrandTheSite() {
        LeaseState released = WitnessRules.decide(pair(), req("a", Op.RELEASE, 1, null, null), 50_100, T).next();
        Decision lateLost = WitnessRules.decide(released, req("a", Op.PEER_LOST, 1, "b", null), 50_150, T);
        Decision promote = WitnessRules.decide(lateLost.next(), req("b", Op.PROMOTE, 2, null, 10L), 50_200, T);
        Decision renew = WitnessRules.decide(lateLost.next(), req("a", Op.RENEW, 1, null, null), 50_200, T);
        assertFalse(promote.outcome() == Outcome.REFUSED && renew.outcome() == Outcome.REFUSED,
                "after release + late peer-lost: promote of b " + promote.outcome() + " (" + promote.reason()
                        + "), renew of a " + renew.outcome() + " (" + renew.reason() + "): the site has no writer"
                        + " and none can be granted");
    }

    /**
     * The same in the other order: the peer-lost is decided first, the release (sent because the agent had not
     * heard the peer-lost's answer) is still GRANTED. The existing test aReleaseDoesNotMakeAnIneligibleStandbyEligible
     * checks the safety half (b refused); the liveness half: a is stranded as well.
     */
    @Test
    void aReleaseWithAnIneligibleStandbyMustNotBeGranted() {
        LeaseState lost = WitnessRules.decide(pair(), req("a", Op.PEER_LOST, 1, "b", null), 50_050, T).next();
        Decision release = WitnessRules.decide(lost, req("a", Op.RELEASE, 1, null, null), 50_100, T);
        assertNotEquals(Outcome.GRANTED, release.outcome(), "nobody can take the released epoch: b is not"
                + " sync-eligible, and a released epoch is never renewed");
    }

    /** Passes: a release names its epoch; one of an old epoch, replayed after a became holder again, is refused. */
    @Test
    void aReplayedReleaseOfAnOldEpochDoesNotTouchANewerHolder() {
        LeaseState s = WitnessRules.decide(pair(), req("a", Op.RELEASE, 1, null, null), 50_100, T).next();
        s = WitnessRules.decide(s, req("b", Op.PROMOTE, 2, null, 10L), 50_200, T).next(); // b holds 2, a standby
        s = WitnessRules.decide(s, req("b", Op.PEER_OK, 2, "a", null), 50_300, T).next();
        s = WitnessRules.decide(s, req("b", Op.RELEASE, 2, null, null), 60_000, T).next();
        s = WitnessRules.decide(s, req("a", Op.PROMOTE, 3, null, 10L), 60_100, T).next(); // a holds 3
        assertEquals(3, s.epoch());
        Decision replay = WitnessRules.decide(s, req("a", Op.RELEASE, 1, null, null), 60_200, T);
        assertEquals(Outcome.REFUSED, replay.outcome());
        assertEquals(false, replay.next().released());
        Decision otherNode = WitnessRules.decide(s, req("b", Op.RELEASE, 3, null, null), 60_200, T);
        assertEquals(Outcome.REFUSED, otherNode.outcome(), "only the holder releases");
    }
}
