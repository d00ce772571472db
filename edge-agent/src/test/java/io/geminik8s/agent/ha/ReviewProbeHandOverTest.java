package io.geminik8s.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.protocol.WitnessReply;
import io.geminik8s.protocol.WitnessRequest.Op;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Review probes (review14) of the planned switchover in the pure machine. Both failed on the reviewed code and pass since the fix.
 */
class ReviewProbeHandOverTest {

    private static final HaTiming T = HaTiming.DEFAULTS; // heartbeat 250, peer silence 1500, lease 3000, retry 500

    private static WitnessReply reply(WitnessReply.Outcome o, long epoch, String holder, Long leaseMs) {
        return new WitnessReply("1.3", "r", "s1", "a", 0L, o, epoch, holder, leaseMs, null, null);
    }

    /**
     * The standby's agent still acks heartbeats but its PostgreSQL stopped streaming for the peer-silence time: the
     * primary asked the hub peer-lost. Until that answer arrives syncPeer is still true, so handOver() goes ahead,
     * fences and releases. Whichever the hub decides first, the standby ends up not sync-eligible with the epoch
     * released (ReviewProbeReleaseTest): no writer. A hand-over must wait while a peer-lost is outstanding (or while
     * the peer is not streaming at all).
     */
    @Test
    void noHandOverWhileAPeerLostIsAwaitingTheHub() {
        PairMachine p = PairMachine.primary("b", 4, 0, T, 0);
        p.replication(false, 100);
        p.peerAck(4, 1600, 1650); // the peer's agent is alive and acks
        List<Action> lost = p.replication(false, 1700);
        assertTrue(lost.contains(new Action.ReportPeerLost(4, "b")), "precondition: peer-lost asked: " + lost);
        assertEquals(List.of(), p.handOver(1750), "handed over with a peer-lost in flight and a standby that does"
                + " not stream");
    }

    /**
     * A release the hub refuses (with the hub fix of ReviewProbeReleaseTest: the standby is not sync-eligible) must
     * lead the fenced node back to its lease (FENCED, renewing; unfenced on the grant), not leave it STEPPED_DOWN and
     * silent for ever. Today a refused release is ignored and asked again every hub-retry, indefinitely.
     */
    @Test
    void aRefusedReleaseLeadsBackToTheLease() {
        PairMachine p = PairMachine.primary("b", 4, 0, T, 0);
        p.peerAck(4, 900, 1000);
        p.handOver(1000);
        p.hubReply(Op.RELEASE, reply(WitnessReply.Outcome.REFUSED, 4, "a", null), 1000, 1050);
        assertNotEquals(PairMachine.State.STEPPED_DOWN, p.state(), "still stepped down after the hub refused the"
                + " release; next ticks: " + p.tick(1600));
    }
}
