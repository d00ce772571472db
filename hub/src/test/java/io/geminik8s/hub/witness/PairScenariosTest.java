package io.geminik8s.hub.witness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.ha.HaTiming;
import io.geminik8s.agent.ha.PairMachine;
import io.geminik8s.protocol.WitnessReply;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The agents' HA state machines and the hub's witness rules together, in simulated time, over the reachability
 * matrix of docs/ha.md. No PostgreSQL, VIP or network here: this proves the decision logic; the fault-injection
 * harness with real PostgreSQL in network namespaces proves the whole (issue 3, not built yet).
 */
class PairScenariosTest {

    private static final HaTiming TIMING = HaTiming.DEFAULTS;
    private static final WitnessRules.Timing HUB = new WitnessRules.Timing(TIMING.leaseMs(), 1500);

    private static PairSimulation pair() {
        LeaseState[] state = {new LeaseState("s1", 1, "a", 0, "b", true, 0, 0)};
        PairSimulation sim = new PairSimulation(TIMING, (req, now) -> {
            WitnessRules.Decision d = WitnessRules.decide(state[0], req, now, HUB);
            state[0] = d.next();
            return new WitnessReply("1.0", req.id(), req.site(), req.node(), now, d.outcome(), d.next().epoch(),
                    d.next().holder(), d.leaseMs(), d.retryAfterMs(), d.reason());
        });
        sim.standbyEligibleAtHub = () -> state[0].standbyEligible();
        return sim;
    }

    @Test
    void normalOperationNeedsNoFailover() {
        PairSimulation sim = pair();
        sim.run(60_000);
        assertSame(sim.a, sim.writer());
        assertEquals(PairMachine.State.PRIMARY, sim.a.machine.state());
        assertEquals(PairMachine.State.STANDBY, sim.b.machine.state());
        assertEquals(1, sim.maxWriters);
    }

    @Test
    void primaryPowerOffFailsOverWithinTheBudget() {
        PairSimulation sim = pair();
        sim.run(10_000);
        sim.a.alive = false;
        long off = sim.now;
        sim.run(15_000);
        assertSame(sim.b, sim.writer());
        long failover = sim.b.writingSince - off;
        System.out.printf("simulated primary power-off -> standby promoted: %d ms%n", failover);
        assertTrue(failover <= TIMING.peerSilenceMs() + TIMING.leaseMs() + HUB.marginMs() + TIMING.hubRetryMs(),
                "failover " + failover + " ms");
        assertEquals(2, sim.b.machine.epoch());
        assertEquals(1, sim.maxWriters);
    }

    @Test
    void primaryFullyIsolatedFencesAndTheStandbyTakesOverWithoutOverlap() {
        PairSimulation sim = pair();
        sim.run(5_000);
        sim.linkAB = false;
        sim.linkAH = false;
        sim.run(20_000);
        assertEquals(PairMachine.State.FENCED, sim.a.machine.state());
        assertSame(sim.b, sim.writer());
        assertEquals(1, sim.maxWriters, "never two writers");
        sim.linkAB = true; // the old primary comes back: told to rejoin as standby of epoch 2
        sim.linkAH = true;
        sim.run(5_000);
        assertEquals(PairMachine.State.STANDBY, sim.a.machine.state());
        assertEquals(2, sim.a.machine.epoch());
        assertSame(sim.b, sim.writer());
    }

    @Test
    void linkBetweenTheNodesCutThePrimaryGoesOnAloneAndTheStandbyIsRefused() {
        PairSimulation sim = pair();
        sim.run(5_000);
        sim.linkAB = false;
        sim.run(30_000);
        assertSame(sim.a, sim.writer());
        assertEquals(PairMachine.State.ALONE, sim.a.machine.state());
        assertEquals(PairMachine.State.CANDIDATE, sim.b.machine.state());
        assertEquals(1, sim.b.machine.epoch());
        sim.linkAB = true;
        sim.run(2_000);
        assertEquals(PairMachine.State.PRIMARY, sim.a.machine.state());
        assertEquals(PairMachine.State.STANDBY, sim.b.machine.state());
    }

    @Test
    void theStandbyLeavesSynchronousReplicationOnlyAfterTheHubRecordedIt() {
        PairSimulation sim = pair();
        sim.run(5_000);
        sim.linkAB = false; // replication and heartbeats break
        sim.run(10_000);
        assertTrue(!sim.a.syncPeer, "a dropped b from synchronous replication");
        assertEquals(0, sim.asyncWhileEligible);
        sim.linkAB = true;
        sim.run(5_000);
        assertTrue(sim.a.syncPeer, "b streams again: back in synchronous replication");
        assertEquals(0, sim.asyncWhileEligible);
    }

    @Test
    void hubUnreachableChangesNothingWhileThePairTalks() {
        PairSimulation sim = pair();
        sim.hubUp = false;
        sim.run(30_000);
        assertSame(sim.a, sim.writer());
        assertEquals(PairMachine.State.PRIMARY, sim.a.machine.state());
    }

    @Test
    void standbyIsolatedDoesNothingAndThePrimaryGoesOn() {
        PairSimulation sim = pair();
        sim.linkAB = false;
        sim.linkBH = false;
        sim.run(30_000);
        assertSame(sim.a, sim.writer());
        assertEquals(PairMachine.State.CANDIDATE, sim.b.machine.state());
        assertEquals(1, sim.b.machine.epoch());
    }

    @Test
    void hubDownAndThenThePrimaryDiesLeavesTheSiteDownButNeverSplit() {
        PairSimulation sim = pair();
        sim.hubUp = false;
        sim.run(5_000);
        sim.a.alive = false;
        sim.run(30_000);
        assertNull(sim.writer(), "no failover without the witness");
        sim.hubUp = true;
        sim.run(10_000);
        assertSame(sim.b, sim.writer(), "the witness is back: the standby is promoted");
    }

    @Test
    void hubDownAndLinkCutThePrimaryFencesAndNobodyWrites() {
        PairSimulation sim = pair();
        sim.run(2_000);
        sim.hubUp = false;
        sim.linkAB = false;
        sim.run(30_000);
        assertNull(sim.writer());
        assertEquals(PairMachine.State.FENCED, sim.a.machine.state());
        assertEquals(1, sim.maxWriters);
    }

    @Test
    void flappingLinksNeverGiveTwoWriters() {
        Random random = new Random(11);
        int failovers = 0;
        for (int run = 0; run < 200; run++) {
            PairSimulation sim = pair();
            for (int phase = 0; phase < 40; phase++) {
                sim.linkAB = random.nextInt(3) > 0;
                sim.linkAH = random.nextInt(3) > 0;
                sim.linkBH = random.nextInt(3) > 0;
                sim.hubUp = random.nextInt(5) > 0;
                sim.run(200 + random.nextInt(6_000));
                assertTrue(sim.maxWriters <= 1, "run " + run + " phase " + phase + ": two writers");
                assertEquals(0, sim.asyncWhileEligible, "run " + run + " phase " + phase
                        + ": writes without the synchronous standby while the hub still counted it eligible");
            }
            failovers += sim.b.machine.epoch() > 1 || sim.a.machine.epoch() > 1 ? 1 : 0;
        }
        assertTrue(failovers > 20, "the random histories must include failovers, got " + failovers);
        System.out.println("flapping links: " + failovers + " of 200 histories failed over, never two writers");
    }
}
