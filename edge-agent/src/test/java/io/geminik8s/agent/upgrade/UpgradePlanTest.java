package io.geminik8s.agent.upgrade;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.geminik8s.agent.upgrade.PairView.Role;
import io.geminik8s.agent.upgrade.UpgradePlan.Input;
import io.geminik8s.agent.upgrade.UpgradePlan.Next;
import org.junit.jupiter.api.Test;

class UpgradePlanTest {

    private static final String OLD = "v1.31.4+k3s1";
    private static final String NEW = "v1.31.5+k3s1";

    private static Next plan(Role role, String running, String peer, boolean sync, boolean hub, UpgradeRecord r) {
        return UpgradePlan.decide(new Input(7, NEW, running, role, peer, sync, hub, r));
    }

    private static UpgradeRecord at(long generation, String step) {
        return new UpgradeRecord(generation, step, OLD, NEW, null, 6);
    }

    @Test
    void theStandbyGoesFirstAndThePrimaryWaitsForItsProof() {
        assertEquals(Next.INSTALL, plan(Role.STANDBY, OLD, null, false, true, null));
        assertEquals(Next.WAIT_FOR_STANDBY, plan(Role.PRIMARY, OLD, null, true, true, null));
        assertEquals(Next.WAIT_FOR_STANDBY, plan(Role.PRIMARY, OLD, "7:verifying", true, true, null));
        assertEquals(Next.WAIT_FOR_STANDBY, plan(Role.PRIMARY, OLD, "6:done", true, true, null),
                "done for an older generation proves nothing");
        assertEquals(Next.WAIT_FOR_STANDBY, plan(Role.PRIMARY, OLD, "7:failed", true, true, null));
        assertEquals(Next.HAND_OVER, plan(Role.PRIMARY, OLD, "7:done:h", true, true, null));
    }

    @Test
    void noSwitchoverWithoutASynchronousStandbyOrTheWitness() {
        assertEquals(Next.WAIT_FOR_STANDBY, plan(Role.PRIMARY, OLD, "7:done:h", false, true, null),
                "a standby that may lack acknowledged writes never takes over");
        assertEquals(Next.WAIT_FOR_STANDBY, plan(Role.PRIMARY, OLD, "7:done:h", true, false, null),
                "without the hub the standby could not be granted the epoch: the site would stop");
        assertEquals(Next.WAIT_FOR_STANDBY, plan(Role.PRIMARY, OLD, "7:done", true, true, null),
                "nor when the standby does not reach the hub");
    }

    @Test
    void aNewAgentTakesThePairAwayPathBecauseAnAgentRestartFencesAPrimary() {
        UpgradePlan.Input base = new Input(7, NEW, NEW, Role.STANDBY, null, true, true, null, false, false, true);
        assertEquals(Next.INSTALL, UpgradePlan.decide(base), "K3s there already, the agent is not");
        assertEquals(Next.WAIT_FOR_STANDBY, UpgradePlan.decide(new Input(7, NEW, NEW, Role.PRIMARY, null, true, true,
                null, false, false, true)), "never restarted on the primary");
        assertEquals(Next.HAND_OVER, UpgradePlan.decide(new Input(7, NEW, NEW, Role.PRIMARY, "7:done:h", true, true,
                null, false, false, true)));
        assertEquals(Next.NOTHING, UpgradePlan.decide(new Input(7, NEW, NEW, Role.OTHER, "7:done:h", true, true,
                null, false, false, true)));
        assertEquals(Next.DONE, UpgradePlan.decide(new Input(7, NEW, NEW, Role.STANDBY, null, true, true, null,
                false, false, false)), "the agent there too");
        assertEquals(Next.RESUME_AGENT, UpgradePlan.decide(new Input(7, NEW, NEW, Role.OTHER, null, true, true,
                at(7, "restarting-agent"), false, false, false)), "whatever the role after the restart: prove or undo");
    }

    @Test
    void aNodeThatIsNotWholeInItsPairDoesNothing() {
        assertEquals(Next.NOTHING, plan(Role.OTHER, OLD, "7:done:h", true, true, null));
        assertEquals(Next.NOTHING, plan(Role.OTHER, OLD, null, true, true, at(7, "switching-over")),
                "the former primary waits to be a standby again");
    }

    @Test
    void aNodeOnTheTargetIsDoneAndAFinishedGenerationIsNotRedone() {
        assertEquals(Next.DONE, plan(Role.PRIMARY, NEW, null, false, false, null), "the new primary after the switch");
        assertEquals(Next.DONE, plan(Role.STANDBY, NEW, null, false, false, at(7, "switching-over")));
        assertEquals(Next.NOTHING, plan(Role.STANDBY, NEW, null, true, true, at(7, "done")));
        assertEquals(Next.NOTHING, plan(Role.STANDBY, OLD, null, true, true, at(7, "failed")),
                "a generation that failed here is not tried again");
        assertEquals(Next.INSTALL, plan(Role.STANDBY, OLD, null, true, true, at(6, "failed")),
                "a newer generation is");
        assertEquals(Next.NOTHING, plan(Role.STANDBY, OLD, null, true, true, at(8, "done")), "never backwards");
    }

    @Test
    void anInterruptedStepIsCarriedOnOnTheStandbyAndUndoneElsewhere() {
        assertEquals(Next.INSTALL, plan(Role.STANDBY, OLD, null, false, false, at(7, "installing")));
        assertEquals(Next.INSTALL, plan(Role.STANDBY, NEW, null, false, false, at(7, "verifying")),
                "verified again, not taken on trust");
        assertEquals(Next.ROLLBACK, plan(Role.PRIMARY, OLD, null, false, false, at(7, "verifying")),
                "promoted meanwhile: undone without restarts, never installed on as a primary");
        assertEquals(Next.APPLY_IN_PLACE, UpgradePlan.decide(new Input(7, NEW, NEW, Role.PRIMARY, null, false, false,
                at(7, "installing"), true, false)), "an in-place apply (reload only) interrupted: carried on");
        assertEquals(Next.NOTHING, plan(Role.OTHER, NEW, null, false, false, at(7, "installing")),
                "fenced or rejoining: waits until the node is whole again");
        assertEquals(Next.ROLLBACK, plan(Role.STANDBY, NEW, null, false, false, at(6, "installing")),
                "overtaken by a newer generation: undone first, then the newer one is taken");
        assertEquals(Next.RESUME_AGENT, plan(Role.PRIMARY, NEW, null, false, false, at(6, "restarting-agent")),
                "a trial is ended (proven or undone) whatever came since");
        for (Role role : Role.values()) {
            assertEquals(Next.ROLLBACK, plan(role, NEW, null, false, false, at(7, "rolling-back")));
        }
    }

    @Test
    void aGenerationWithoutAK3sVersionIsSettledWithoutTouchingK3s() {
        assertEquals(Next.SETTLE, UpgradePlan.decide(new Input(7, null, OLD, Role.PRIMARY, null, false, false, null)));
        assertEquals(Next.NOTHING, UpgradePlan.decide(new Input(0, NEW, OLD, Role.STANDBY, null, true, true, null)),
                "no desired state yet");
    }

    @Test
    void settingsThatAReloadTakesAreAppliedInPlaceAndOnesNeedingARestartGoPairAware() {
        assertEquals(Next.APPLY_IN_PLACE, UpgradePlan.decide(new Input(7, NEW, NEW, Role.PRIMARY, null, true, true,
                null, true, false)), "the primary too: a reload stops nothing");
        assertEquals(Next.NOTHING, UpgradePlan.decide(new Input(7, NEW, NEW, Role.OTHER, null, true, true, null, true,
                false)));
        assertEquals(Next.WAIT_FOR_STANDBY, UpgradePlan.decide(new Input(7, NEW, NEW, Role.PRIMARY, null, true, true,
                null, true, true)), "a primary is never restarted in place");
        assertEquals(Next.INSTALL, UpgradePlan.decide(new Input(7, NEW, NEW, Role.STANDBY, null, true, true, null, true,
                true)));
        assertEquals(Next.HAND_OVER, UpgradePlan.decide(new Input(7, null, OLD, Role.PRIMARY, "7:done:h", true, true,
                null, true, true)), "settings alone, with a restart, take the switchover too");
    }

    @Test
    void aMinorDowngradeIsRefusedAPatchOneIsNot() {
        assertEquals(null, DesiredTarget.minorDowngrade("v1.31.5+k3s1", "v1.31.4+k3s1"));
        assertEquals(null, DesiredTarget.minorDowngrade("v1.31.5+k3s1", "v1.32.0+k3s1"));
        assertEquals(true, DesiredTarget.minorDowngrade("v1.32.1+k3s1", "v1.31.9+k3s1") != null);
        assertEquals(null, DesiredTarget.minorDowngrade(null, "v1.31.9+k3s1"), "nothing runs: nothing to compare");
    }
}
