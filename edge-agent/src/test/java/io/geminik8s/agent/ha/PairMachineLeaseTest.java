package io.geminik8s.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.geminik8s.protocol.WitnessReply;
import io.geminik8s.protocol.WitnessRequest.Op;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One lease length: the primary learns the hub's lease and never counts a longer one from its peer's acks. */
class PairMachineLeaseTest {

    /** ha.lease-ms 3000. */
    private static final HaTiming T = new HaTiming(250, 1500, 3000, 500);

    private static WitnessReply granted(long epoch, long leaseMs) {
        return new WitnessReply("1.0", "r", "s1", "a", 0L, WitnessReply.Outcome.GRANTED, epoch, "a", leaseMs, null,
                null);
    }

    @Test
    void aPrimaryAsksTheHubAtStartAndEveryLeaseCheckInterval() {
        PairMachine p = PairMachine.primary("b", 1, 0, T, 0);
        assertEquals(List.of(new Action.RenewWithHub(1)), p.tick(0), "at start: learn the hub's lease");
        for (long t = 200; t < PairMachine.LEASE_CHECK_MS; t += 200) {
            p.peerAck(1, t - 100, t);
            assertEquals(List.of(), p.tick(t), "at " + t);
        }
        p.peerAck(1, PairMachine.LEASE_CHECK_MS - 100, PairMachine.LEASE_CHECK_MS);
        assertEquals(List.of(new Action.RenewWithHub(1)), p.tick(PairMachine.LEASE_CHECK_MS));
    }

    @Test
    void aLongerAgentLeaseIsCutToTheHubsAtOnceAndReportedOnce() {
        PairMachine p = PairMachine.primary("b", 1, 0, T, 0);
        assertEquals(List.of(new Action.RenewWithHub(1)), p.tick(0));
        p.peerAck(1, 100, 150);
        assertEquals(3100, p.leaseUntil(), "from the ack, with ha.lease-ms");
        assertEquals(List.of(new Action.LeaseMismatch(1, 3000, 2000)),
                p.hubReply(Op.RENEW, granted(1, 2000), 0, 200));
        assertEquals(2100, p.leaseUntil(), "the last ack's lease counted again with the hub's 2000 ms");
        assertEquals(2000, p.leaseMs());
        p.peerAck(1, 1000, 1050);
        assertEquals(3000, p.leaseUntil(), "acks extend by the hub's lease from now on");
        assertEquals(List.of(), p.hubReply(Op.RENEW, granted(1, 2000), 900, 1150), "reported once");
        p.peerAck(1, 1000, 2900); // a late ack: the peer is heard, the lease still runs from the send time
        assertEquals(List.of(), p.tick(2999));
        assertEquals(List.of(new Action.Fence(1), new Action.RenewWithHub(1)), p.tick(3100),
                "fenced when the hub's lease from the last ack ran out, not ha.lease-ms after it");
    }

    @Test
    void aShorterOrEqualAgentLeaseIsNoMismatch() {
        PairMachine p = PairMachine.primary("b", 1, 0, T, 0);
        assertEquals(List.of(), p.hubReply(Op.RENEW, granted(1, 5000), 0, 10));
        p.peerAck(1, 100, 150);
        assertEquals(5000, p.leaseUntil(), "the hub's grant");
        p.peerAck(1, 4000, 4050);
        assertEquals(7000, p.leaseUntil(), "acks count ha.lease-ms, the shorter");
        assertEquals(3000, p.leaseMs());
    }

    @Test
    void aForcedNodeLearnsTheHubsLeaseWhenTheHubRecordsIt() {
        PairMachine s = PairMachine.standby("a", 1, T, 0);
        s.forcePromote(2000);
        assertEquals(List.of(new Action.LeaseMismatch(2, 3000, 1000)),
                s.hubReply(Op.FORCE, granted(2, 1000), 2100, 2150));
        assertEquals(3100, s.leaseUntil(), "the grant's lease, from the request's send time");
    }
}
