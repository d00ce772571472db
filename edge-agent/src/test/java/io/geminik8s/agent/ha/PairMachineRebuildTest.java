package io.geminik8s.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A standby rebuilt after its primary's point-in-time restore (docs/backup.md): it rejoins the holder it follows,
 * is no candidate while the copy runs or is retried, and only a standby is rebuilt.
 */
class PairMachineRebuildTest {

    private static final HaTiming T = HaTiming.DEFAULTS;

    @Test
    void aStandbyRejoinsItsHolderAndAsksForNothingMeanwhile() {
        PairMachine s = PairMachine.standby("a", 2, T, 0);
        s.peerHeartbeat(2, 100, 100);
        assertEquals(List.of(new Action.Rejoin(2, "a")), s.rebuild(200));
        assertThrows(IllegalStateException.class, () -> s.rebuild(300), "one rebuild at a time");
        assertEquals(List.of(), s.tick(200 + T.peerSilenceMs() + 1), "the copy runs: never a candidate");
        s.rejoined(false, 1000);
        assertEquals(List.of(new Action.Rejoin(2, "a")), s.tick(1000 + PairMachine.REJOIN_RETRY_MS), "retried");
        s.rejoined(true, 9000);
        assertTrue(!s.rejoining());
        assertEquals(PairMachine.State.STANDBY, s.state());
    }

    @Test
    void aCandidateIsRebuiltToo() {
        PairMachine s = PairMachine.standby("a", 2, T, 0);
        assertEquals(1, s.tick(T.peerSilenceMs()).size()); // the primary is silent (restoring): it asks the hub
        assertEquals(PairMachine.State.CANDIDATE, s.state());
        assertEquals(List.of(new Action.Rejoin(2, "a")), s.rebuild(T.peerSilenceMs() + 10));
        assertEquals(PairMachine.State.STANDBY, s.state());
    }

    @Test
    void aPrimaryIsNotRebuilt() {
        PairMachine p = PairMachine.primary("b", 1, 0, T, 0);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.rebuild(10));
        assertEquals("this node is primary: only a standby is rebuilt", e.getMessage());
        assertEquals(PairMachine.State.PRIMARY, p.state());
    }
}
