package io.geminik8s.agent.ha;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.protocol.WitnessReply;
import io.geminik8s.protocol.WitnessRequest.Op;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** One node's decisions in isolation; the pair with the hub's rules is simulated in the hub's PairScenariosTest. */
class PairMachineTest {

    private static final HaTiming T = HaTiming.DEFAULTS;

    private static WitnessReply reply(WitnessReply.Outcome o, long epoch, String holder, Long leaseMs) {
        return new WitnessReply("1.0", "r", "s1", "a", 0L, o, epoch, holder, leaseMs, null, null);
    }

    @Test
    void theLeaseRunsFromTheHeartbeatsSendTimeNotFromTheAcksArrival() {
        PairMachine p = PairMachine.primary("b", 1, 0, T, 0);
        p.peerAck(1, 1000, 1800); // a slow ack
        assertEquals(4000, p.leaseUntil());
        assertFalse(p.tick(3999).contains(new Action.Fence(1)));
        assertTrue(p.tick(4000).contains(new Action.Fence(1)));
    }

    @Test
    void anAckClaimingASendTimeInTheFutureExtendsNothing() {
        PairMachine p = PairMachine.primary("b", 1, 0, T, 0);
        p.peerAck(1, 1_000_000_000L, 500);
        assertEquals(3000, p.leaseUntil());
    }

    @Test
    void aPrimaryThatLosesItsPeerReportsItAndRenewsWithTheHubThenFencesIfTheHubIsSilent() {
        PairMachine p = PairMachine.primary("b", 3, 0, T, 0);
        assertEquals(List.of(new Action.ReportPeerLost(3, "b"), new Action.RenewWithHub(3)), p.tick(1500));
        assertEquals(PairMachine.State.ALONE, p.state());
        assertEquals(List.of(), p.tick(1700), "no retry before hub-retry");
        assertEquals(List.of(new Action.ReportPeerLost(3, "b"), new Action.RenewWithHub(3)), p.tick(2000),
                "until the hub has recorded the peer lost, it is reported again");
        p.hubReply(Op.RENEW, reply(WitnessReply.Outcome.GRANTED, 3, "a", 3000L), 2000, 2100);
        assertEquals(5000, p.leaseUntil());
        assertTrue(p.tick(5000).contains(new Action.Fence(3)));
        assertEquals(PairMachine.State.FENCED, p.state());
        assertEquals(List.of(new Action.Unfence(3)), p.hubReply(Op.RENEW, reply(WitnessReply.Outcome.GRANTED, 3, "a", 3000L),
                5400, 5500), "still the holder: resume");
    }

    @Test
    void aFencedPrimaryWhoseEpochMovedOnRejoins() {
        PairMachine p = PairMachine.primary("b", 3, 0, T, 0);
        p.tick(1500);
        p.tick(3000);
        assertEquals(PairMachine.State.FENCED, p.state());
        assertEquals(List.of(new Action.Rejoin(4, "b")), p.hubReply(Op.RENEW, reply(WitnessReply.Outcome.REFUSED, 4, "b", null),
                3500, 3600));
        assertEquals(PairMachine.State.STANDBY, p.state());
    }

    @Test
    void aRejoiningNodeIsNeverACandidateAndAFailedRejoinIsRetried() {
        PairMachine p = PairMachine.primary("b", 3, 0, T, 0);
        p.tick(1500);
        p.tick(3000);
        assertEquals(List.of(new Action.Rejoin(4, "b")), p.hubReply(Op.RENEW, reply(WitnessReply.Outcome.REFUSED, 4, "b", null),
                3500, 3600));
        // pg_rewind runs beside the loop: the holder falls silent meanwhile, yet this node asks for nothing
        assertEquals(List.of(), p.tick(3600 + T.peerSilenceMs() + 1));
        assertEquals(PairMachine.State.STANDBY, p.state());
        assertThrows(IllegalStateException.class, () -> p.forcePromote(3600 + T.peerSilenceMs() + 2));
        p.rejoined(false, 6000); // the peer was unreachable; the old data is kept
        assertEquals(List.of(), p.tick(6000 + PairMachine.REJOIN_RETRY_MS - 1));
        assertEquals(List.of(new Action.Rejoin(4, "b")), p.tick(6000 + PairMachine.REJOIN_RETRY_MS));
        assertEquals(List.of(), p.tick(6000 + PairMachine.REJOIN_RETRY_MS + 1), "one attempt at a time");
        p.rejoined(true, 12_000);
        assertFalse(p.rejoining());
        List<Action> asks = p.tick(12_000 + T.peerSilenceMs()); // a standby again: a silent holder is asked about
        assertEquals(1, asks.size(), asks.toString());
        assertEquals(5, ((Action.AskPromotion) asks.get(0)).epoch());
    }

    @Test
    void theStandbyAsksForTheNextEpochWithTheAgeOfItsLastAckAndNeverFollowsAnOlderEpoch() {
        PairMachine s = PairMachine.standby("a", 5, T, 0);
        assertEquals(List.of(new Action.AckPeer(5, 900)), s.peerHeartbeat(5, 900, 1000));
        assertEquals(List.of(), s.peerHeartbeat(4, 1100, 1100));
        assertEquals(List.of(new Action.AskPromotion(6, 1500)), s.tick(2500));
        assertEquals(PairMachine.State.CANDIDATE, s.state());
        assertEquals(List.of(new Action.AskPromotion(6, 2000)), s.tick(3000));
        assertEquals(List.of(new Action.Promote(6)), s.hubReply(Op.PROMOTE, reply(WitnessReply.Outcome.GRANTED, 6, "b", 3000L),
                3000, 3050));
        assertEquals(6000, s.leaseUntil());
    }

    @Test
    void aPromotedStandbyReportsItsOldPrimaryEligibleOnceSynchronousEvenIfItNeverWentSilent() {
        // a planned switchover: the old holder steps down, rewinds and streams within the peer silence. The hub
        // recorded it ineligible at the promotion; without a peer-ok it would refuse every later failover to it
        PairMachine s = PairMachine.standby("a", 5, T, 0);
        assertEquals(List.of(new Action.AskPromotion(6, T.peerSilenceMs())), s.tick(T.peerSilenceMs()));
        assertEquals(List.of(new Action.Promote(6)), s.hubReply(Op.PROMOTE,
                reply(WitnessReply.Outcome.GRANTED, 6, "b", 3000L), T.peerSilenceMs(), T.peerSilenceMs() + 50));
        long back = T.peerSilenceMs() + 100; // a streams again before it could be reported lost
        assertEquals(List.of(), s.replication(true, true, false, back), "named, not yet sync: no peer-ok");
        assertEquals(List.of(new Action.ReportPeerOk(6, "a")), s.replication(true, true, true, back + 100));
        assertEquals(List.of(), s.hubReply(Op.PEER_OK, reply(WitnessReply.Outcome.GRANTED, 6, "b", null), back + 100,
                back + 150));
        assertEquals(List.of(), s.replication(true, true, true, back + 700), "recorded: nothing more to say");
    }

    @Test
    void theSyncStandbyLeavesSynchronousReplicationOnlyAfterTheHubRecordedItAsLost() {
        PairMachine p = PairMachine.primary("b", 2, 0, T, 0);
        p.peerAck(2, 0, 10);
        assertEquals(List.of(), p.replication(false, 100));
        assertEquals(List.of(new Action.ReportPeerLost(2, "b")), p.replication(false, 1600));
        assertEquals(List.of(), p.hubReply(Op.PEER_LOST, reply(WitnessReply.Outcome.REFUSED, 2, "a", null), 1600, 1650),
                "not recorded by the hub: b stays synchronous (writes wait)");
        assertEquals(List.of(new Action.ReportPeerLost(2, "b")), p.replication(false, 2100));
        assertEquals(List.of(new Action.DropSyncStandby(2, "b")),
                p.hubReply(Op.PEER_LOST, reply(WitnessReply.Outcome.GRANTED, 2, "a", null), 2100, 2150));
        // b streams again: named first, reported eligible only once confirmed synchronous
        assertEquals(List.of(new Action.UseSyncStandby(2, "b")), p.replication(true, false, false, 2200));
        assertEquals(List.of(), p.replication(true, true, false, 2300), "named, not yet sync: no peer-ok");
        assertEquals(List.of(), p.replication(true, true, false, 2900), "still not sync: no peer-ok");
        assertEquals(List.of(new Action.ReportPeerOk(2, "b")), p.replication(true, true, true, 3000));
        assertEquals(List.of(),
                p.hubReply(Op.PEER_OK, reply(WitnessReply.Outcome.GRANTED, 2, "a", null), 3000, 3050));
        assertEquals(List.of(), p.replication(true, true, true, 3600), "recorded: nothing more to say");
    }

    @Test
    void aPeerOkRecordedAfterThePeerWasDroppedIsTakenBackAtOnce() {
        PairMachine p = PairMachine.primary("b", 2, 0, false, T, 0);
        p.peerAck(2, 0, 10);
        assertEquals(List.of(new Action.UseSyncStandby(2, "b")), p.replication(true, false, false, 100));
        assertEquals(List.of(new Action.ReportPeerOk(2, "b")), p.replication(true, true, true, 200));
        // b stops streaming; the peer-ok's answer is late; b is reported lost and dropped
        assertEquals(List.of(), p.replication(false, true, false, 300));
        assertEquals(List.of(new Action.ReportPeerLost(2, "b")), p.replication(false, true, false, 1800));
        assertEquals(List.of(new Action.DropSyncStandby(2, "b")),
                p.hubReply(Op.PEER_LOST, reply(WitnessReply.Outcome.GRANTED, 2, "a", null), 1800, 1850));
        assertEquals(List.of(new Action.ReportPeerLost(2, "b")),
                p.hubReply(Op.PEER_OK, reply(WitnessReply.Outcome.GRANTED, 2, "a", null), 200, 1900),
                "the hub may now count b eligible while a writes without it: lost again at once");
    }

    @Test
    void aNamedPeerThatWasNeverEligibleLeavesOnlyThroughTheHubToo() {
        PairMachine p = PairMachine.primary("b", 2, 0, false, T, 0);
        p.peerAck(2, 0, 10);
        assertEquals(List.of(new Action.UseSyncStandby(2, "b")), p.replication(true, false, false, 100));
        assertEquals(List.of(), p.replication(false, true, false, 200));
        assertEquals(List.of(new Action.ReportPeerLost(2, "b")), p.replication(false, true, false, 1700),
                "a peer-ok might be in flight: the peer leaves synchronous_standby_names via the hub");
    }

    @Test
    void peerSilenceMustBeShorterThanTheLease() {
        assertThrows(IllegalArgumentException.class, () -> new HaTiming(250, 3000, 3000, 500));
    }

    @Test
    void theFenceTimerFiresWhileTheAgentsLoopIsBlocked() throws Exception {
        AtomicLong fencedAt = new AtomicLong();
        CountDownLatch loopBlocked = new CountDownLatch(1);
        try (FenceTimer timer = new FenceTimer(() -> fencedAt.set(System.nanoTime() / 1_000_000))) {
            long now = System.nanoTime() / 1_000_000;
            timer.arm(now + 10_000);
            timer.arm(now + 150); // re-armed: the later deadline is replaced
            Thread loop = new Thread(() -> {
                try {
                    loopBlocked.await(); // a hung call in the agent loop
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            loop.start();
            await().atMost(Duration.ofSeconds(5)).until(() -> fencedAt.get() != 0);
            assertTrue(fencedAt.get() >= now + 150, "not before the deadline");
            assertTrue(loop.isAlive(), "the loop was still blocked when the fence ran");
            loopBlocked.countDown();
            timer.disarm();
            fencedAt.set(0);
            timer.arm(System.nanoTime() / 1_000_000 + 1_000); // 1 s ahead: a pause before disarm is no fence
            timer.disarm();
            await().during(Duration.ofMillis(1_500)).atMost(Duration.ofSeconds(3)).until(() -> fencedAt.get() == 0);
            assertFalse(fencedAt.get() != 0);
        }
    }

    @Test
    void aPrimaryRestartsItsSilentDatabaseTwiceThenStepsDownAndRejoinsTheNewHolder() {
        PairMachine p = PairMachine.primary("b", 3, 0, T, 0);
        p.peerAck(3, 0, 10);
        assertEquals(List.of(), p.localDatabase(false, 100));
        assertEquals(List.of(), p.localDatabase(false, 1599), "silent for less than peer-silence: wait");
        assertEquals(List.of(new Action.RestartDatabase(3)), p.localDatabase(false, 1600));
        assertEquals(List.of(), p.localDatabase(true, 2000), "answers again after the restart");
        assertEquals(List.of(), p.localDatabase(false, 2100));
        assertEquals(List.of(new Action.RestartDatabase(3)), p.localDatabase(false, 3600),
                "an answer in between resets the count");
        assertEquals(List.of(new Action.RestartDatabase(3)), p.localDatabase(false, 5100));
        assertEquals(List.of(new Action.Fence(3)), p.localDatabase(false, 6600), "two restarts did not help");
        assertEquals(PairMachine.State.STEPPED_DOWN, p.state());
        assertEquals(List.of(), p.tick(20_000), "no heartbeat, no renewal: the standby takes over");
        assertEquals(List.of(), p.peerHeartbeat(3, 20_000, 20_001), "its own epoch's heartbeat changes nothing");
        assertEquals(List.of(new Action.Rejoin(4, "b")), p.peerHeartbeat(4, 20_000, 20_002));
        assertEquals(PairMachine.State.STANDBY, p.state());
        assertEquals(List.of(), p.localDatabase(false, 30_000), "a standby's database is the primary's business");
    }

    @Test
    void forcePromoteNeedsASilentPrimaryWritesWithoutLeaseUntilTheHubRecordsItAndYieldsWhenTheHubSaysNo() {
        PairMachine s = PairMachine.standby("a", 3, T, 0);
        s.peerHeartbeat(3, 100, 100);
        IllegalStateException alive = assertThrows(IllegalStateException.class, () -> s.forcePromote(1000));
        assertTrue(alive.getMessage().contains("alive"), alive.getMessage());
        s.tick(1600); // a silent: candidate, asking the hub, which does not answer
        assertEquals(List.of(new Action.ForcePromote(4), new Action.ForceWithHub(4)), s.forcePromote(1700));
        assertEquals(PairMachine.State.ALONE, s.state());
        assertTrue(s.forced());
        assertEquals(List.of(), s.tick(100_000).stream().filter(a -> a instanceof Action.Fence).toList(),
                "no lease to lapse while the hub is away: the operator decided");
        assertEquals(List.of(new Action.ForceWithHub(4)), s.tick(100_600), "told to the hub until recorded");
        assertEquals(List.of(), s.hubReply(Op.FORCE, reply(WitnessReply.Outcome.GRANTED, 4, "b", 3000L), 100_600,
                100_650));
        assertFalse(s.forced());
        assertEquals(103_600, s.leaseUntil(), "an ordinary holder from now on");
        assertThrows(IllegalStateException.class, () -> s.forcePromote(200_000), "only a standby");

        PairMachine t = PairMachine.standby("a", 3, T, 0);
        t.forcePromote(5000);
        assertEquals(List.of(new Action.Fence(4), new Action.Rejoin(3, "a")), t.hubReply(Op.FORCE,
                reply(WitnessReply.Outcome.REFUSED, 3, "a", null), 5000, 5100), "the hub sees a alive: step back");
        assertEquals(PairMachine.State.STANDBY, t.state());
        assertEquals(3, t.epoch());
    }

    @Test
    void aPlannedSwitchoverFencesReleasesUntilTheHubAnswersThenFollowsTheNewHolder() {
        PairMachine p = PairMachine.primary("b", 4, 0, T, 0);
        p.peerAck(4, 900, 1000);
        assertEquals(List.of(new Action.Fence(4), new Action.Release(4)), p.handOver(1000));
        assertEquals(PairMachine.State.STEPPED_DOWN, p.state());
        assertTrue(p.handedOver());
        assertEquals(List.of(), p.tick(1200), "silent: no heartbeats, no renewals, no retry before hub-retry");
        assertEquals(List.of(new Action.Release(4)), p.tick(1500), "asked again until the hub answers");
        p.hubReply(Op.RELEASE, reply(WitnessReply.Outcome.GRANTED, 4, "a", 0L), 1500, 1550);
        assertEquals(List.of(), p.tick(2500), "released: nothing more to ask");
        assertEquals(List.of(new Action.Rejoin(5, "b")), p.peerHeartbeat(5, 2600, 2600), "the standby took epoch 5");
        assertEquals(PairMachine.State.STANDBY, p.state());
        assertEquals(5, p.epoch());
        assertEquals(List.of(), p.handOver(2700), "only a primary hands over");
    }

    @Test
    void noSwitchoverWithoutASynchronousFollowingPeer() {
        PairMachine notSync = PairMachine.primary("b", 1, 0, false, T, 0);
        assertEquals(List.of(), notSync.handOver(100), "a standby that may lack acknowledged writes");
        assertEquals(PairMachine.State.PRIMARY, notSync.state());
        PairMachine silentPeer = PairMachine.primary("b", 1, 0, T, 0);
        silentPeer.tick(1600); // peer silent: alone
        assertEquals(List.of(), silentPeer.handOver(1600));
        PairMachine p = PairMachine.primary("b", 1, 0, T, 0);
        assertTrue(p.peerSynchronous());
        p.replication(false, 100);
        p.replication(false, 1700); // named but not streaming for the peer-silence time: reported lost
        p.hubReply(Op.PEER_LOST, reply(WitnessReply.Outcome.GRANTED, 1, "a", null), 1700, 1750);
        assertFalse(p.peerSynchronous());
        assertEquals(List.of(), p.handOver(1800));
    }

    @Test
    void aReleaseAnsweredWithANewerEpochFollowsItsHolder() {
        PairMachine p = PairMachine.primary("b", 2, 0, T, 0);
        p.handOver(10);
        assertEquals(List.of(new Action.Rejoin(3, "b")),
                p.hubReply(Op.RELEASE, reply(WitnessReply.Outcome.REFUSED, 3, "b", null), 10, 20));
        assertEquals(PairMachine.State.STANDBY, p.state());
    }
}
