package io.geminik8s.hub.witness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.witness.WitnessRules.Decision;
import io.geminik8s.hub.witness.WitnessRules.Rebuild;
import io.geminik8s.hub.witness.WitnessRules.Timing;
import io.geminik8s.protocol.WitnessReply.Outcome;
import io.geminik8s.protocol.WitnessRequest;
import io.geminik8s.protocol.WitnessRequest.Op;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The witness's {@code rebuild} (docs/ha.md): a site whose two nodes were lost, rebuilt once per authorization. */
class WitnessRebuildRulesTest {

    private static final Timing T = new Timing(3000, 1500);
    /** Authorized at t=500000, after the holder's last renewal (t=7000). */
    private static final Rebuild WAITING = new Rebuild("rebuild-1", Set.of("a", "b"), null, 500_000);

    private static WitnessRequest req(String site, String node, Op op, long epoch) {
        return new WitnessRequest("1.0", "r", site, node, 0L, op, epoch, null, op == Op.PROMOTE ? 0L : null);
    }

    /** Site s1 at epoch 4 held by b, whose lease ran out long ago (both nodes lost). */
    private static LeaseState lost() {
        return new LeaseState("s1", 4, "b", 10_000, "a", true, 7_000, 9);
    }

    @Test
    void withoutAnAuthorizationARebuildIsRefusedAndTellsTheOperatorWhatToDo() {
        Decision d = WitnessRules.decide(lost(), req("s1", "a", Op.REBUILD, 5), 1_000_000, T, null);
        assertEquals(Outcome.REFUSED, d.outcome());
        assertEquals(4, d.next().epoch(), "nothing changes");
        assertTrue(d.reason().contains("gk8s backup rebuild --site s1"), d.reason());
        assertEquals(Outcome.REFUSED, WitnessRules.decide(lost(), req("s1", "a", Op.REBUILD, 5), 1_000_000, T)
                .outcome(), "the four-argument rules know no authorization");
    }

    @Test
    void anAuthorizedRebuildGrantsTheNextEpochWithThePeerNotEligible() {
        Decision d = WitnessRules.decide(lost(), req("s1", "a", Op.REBUILD, 5), 1_000_000, T, WAITING);
        assertEquals(Outcome.GRANTED, d.outcome(), d.reason());
        assertEquals(5, d.next().epoch());
        assertEquals("a", d.next().holder());
        assertEquals("b", d.next().standby());
        assertFalse(d.next().standbyEligible(), "the peer has no data yet: it may not be promoted");
        assertEquals(1_003_000, d.next().leaseExpiresAt());
        assertEquals(3000, d.leaseMs());
        // the peer then cannot take the epoch from the rebuilt primary, even once its lease lapsed
        Decision promote = WitnessRules.decide(d.next(), new WitnessRequest("1.0", "p", "s1", "b", 0L, Op.PROMOTE, 6L,
                null, 60_000L), 2_000_000, T);
        assertEquals(Outcome.REFUSED, promote.outcome(), promote.reason());
    }

    @Test
    void theAuthorizationIsConsumedOnce() {
        LeaseState granted = WitnessRules.decide(lost(), req("s1", "a", Op.REBUILD, 5), 1_000_000, T, WAITING).next();
        // the store marks the authorization taken in the grant's transaction: afterwards none waits
        Decision other = WitnessRules.decide(granted, req("s1", "b", Op.REBUILD, 6), 1_000_100, T, null);
        assertEquals(Outcome.REFUSED, other.outcome(), "the other node cannot rebuild too");
        assertEquals(granted, other.next());
        Decision again = WitnessRules.decide(granted, req("s1", "a", Op.REBUILD, 6), 1_000_100, T, null);
        assertEquals(Outcome.REFUSED, again.outcome(), "nor the same node a second time");
        Decision repeat = WitnessRules.decide(granted, req("s1", "a", Op.REBUILD, 5), 1_001_000, T, null);
        assertEquals(Outcome.GRANTED, repeat.outcome(), "a repeated request for the epoch granted: the same answer");
        assertEquals(granted, repeat.next());
        assertEquals(2000, repeat.leaseMs(), "what is left of the lease");
    }

    @Test
    void onlyANodeOfTheSiteForTheNextEpochMayRebuild() {
        Decision stranger = WitnessRules.decide(lost(), req("s1", "x", Op.REBUILD, 5), 1_000_000, T, WAITING);
        assertEquals(Outcome.REFUSED, stranger.outcome());
        assertTrue(stranger.reason().contains("not a node of site s1"), stranger.reason());
        Decision otherSite = WitnessRules.decide(lost(), req("s2", "a", Op.REBUILD, 5), 1_000_000, T, WAITING);
        assertEquals(Outcome.REFUSED, otherSite.outcome(), "a node of another site");
        assertEquals(4, otherSite.next().epoch());
        for (long epoch : new long[] {4, 6, 1}) {
            Decision wrong = WitnessRules.decide(lost(), req("s1", "a", Op.REBUILD, epoch), 1_000_000, T, WAITING);
            assertEquals(Outcome.REFUSED, wrong.outcome(), "epoch " + epoch);
            assertEquals(lost(), wrong.next());
        }
    }

    @Test
    void aHolderAliveAtTheHubIsNotRebuiltOver() {
        LeaseState renewedLater = new LeaseState("s1", 4, "b", 603_000, "a", true, 600_000, 9);
        Decision alive = WitnessRules.decide(renewedLater, req("s1", "a", Op.REBUILD, 5), 1_000_000, T, WAITING);
        assertEquals(Outcome.REFUSED, alive.outcome(), "b renewed after the operator's authorization: not lost");
        assertTrue(alive.reason().contains("it is alive"), alive.reason());
        LeaseState running = new LeaseState("s1", 4, "b", 1_002_000, "a", true, 400_000, 9);
        Decision early = WitnessRules.decide(running, req("s1", "a", Op.REBUILD, 5), 1_000_000, T, WAITING);
        assertEquals(Outcome.WAIT, early.outcome(), "the holder's hub lease has not lapsed, plus the margin");
        assertEquals(3500, early.retryAfterMs(), "1002000 + 1500 - 1000000");
        assertEquals(running, early.next());
        assertEquals(Outcome.GRANTED, WitnessRules.decide(running, req("s1", "a", Op.REBUILD, 5), 1_003_500, T,
                WAITING).outcome(), "once it lapsed");
    }

    @Test
    void everythingElseIsDecidedAsWithoutAnAuthorization() {
        for (Op op : new Op[] {Op.PROMOTE, Op.RENEW, Op.FORCE, Op.RELEASE}) {
            WitnessRequest r = req("s1", "a", op, op == Op.RENEW || op == Op.RELEASE ? 4 : 5);
            assertEquals(WitnessRules.decide(lost(), r, 1_000_000, T), WitnessRules.decide(lost(), r, 1_000_000, T,
                    WAITING), op.toString());
        }
        Decision bootstrap = WitnessRules.decide(lost(), req("s1", "a", Op.PROMOTE, 1), 1_000_000, T, WAITING);
        assertEquals(Outcome.REFUSED, bootstrap.outcome(), "a fresh primary's epoch 1 stays refused");
    }
}
