package io.geminik8s.hub.rollout;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.rollout.RolloutEngine.Header;
import io.geminik8s.hub.rollout.RolloutEngine.Phase;
import org.junit.jupiter.api.Test;

/** Which operator verbs would act on a rollout as it stands; the others are refused before they are audited. */
class RolloutVerbsTest {

    private static Header header(Phase phase, int openWave, int approvedWave, int waves) {
        return new Header(phase, null, openWave, approvedWave, 0, waves);
    }

    @Test
    void pauseResumeAndAbortActOnlyWhereTheyChangeSomething() {
        Header running = header(Phase.RUNNING, 0, Integer.MAX_VALUE, 3);
        Header paused = header(Phase.PAUSED, 0, Integer.MAX_VALUE, 3);
        assertNull(RolloutVerbs.nothingToDo("pause", running));
        assertNotNull(RolloutVerbs.nothingToDo("pause", paused));
        assertNull(RolloutVerbs.nothingToDo("resume", paused));
        assertNotNull(RolloutVerbs.nothingToDo("resume", running));
        assertNull(RolloutVerbs.nothingToDo("abort", running));
        assertNull(RolloutVerbs.nothingToDo("abort", paused));
        for (Phase done : new Phase[] {Phase.ABORTED, Phase.SUCCEEDED}) {
            for (String verb : new String[] {"pause", "resume", "abort", "approve"}) {
                String why = RolloutVerbs.nothingToDo(verb, header(done, 2, 2, 3));
                assertTrue(why != null && why.contains(done.name().toLowerCase()), verb + " on " + done + ": " + why);
            }
        }
    }

    @Test
    void approveActsOnlyWhenTheNextWaveWaitsForIt() {
        assertNull(RolloutVerbs.nothingToDo("approve", header(Phase.PAUSED, 0, 0, 3)), "waiting after the canary");
        assertNull(RolloutVerbs.nothingToDo("approve", header(Phase.RUNNING, 1, 1, 3)), "approved ahead of time");
        assertNotNull(RolloutVerbs.nothingToDo("approve", header(Phase.RUNNING, 0, Integer.MAX_VALUE, 3)),
                "the strategy does not pause after each wave");
        assertNotNull(RolloutVerbs.nothingToDo("approve", header(Phase.RUNNING, 0, 1, 3)), "approved already");
        assertNotNull(RolloutVerbs.nothingToDo("approve", header(Phase.RUNNING, 2, 2, 3)), "the last wave is open");
    }

    @Test
    void commandsAcceptedButNotYetAppliedCount() {
        Header running = header(Phase.RUNNING, 0, Integer.MAX_VALUE, 3);
        Header pausing = RolloutVerbs.afterPending(running, java.util.List.of("pause"));
        assertNotNull(RolloutVerbs.nothingToDo("pause", pausing), "a second pause within one tick");
        assertNull(RolloutVerbs.nothingToDo("resume", pausing), "a resume right after a pause");
        assertNotNull(RolloutVerbs.nothingToDo("resume",
                RolloutVerbs.afterPending(running, java.util.List.of("pause", "resume"))));
        assertNotNull(RolloutVerbs.nothingToDo("abort", RolloutVerbs.afterPending(running, java.util.List.of("abort"))));
        Header waiting = header(Phase.PAUSED, 0, 0, 3);
        assertNotNull(RolloutVerbs.nothingToDo("approve", RolloutVerbs.afterPending(waiting,
                java.util.List.of("approve"))), "approved twice within one tick");
    }
}
