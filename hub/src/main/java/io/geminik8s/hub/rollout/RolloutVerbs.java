package io.geminik8s.hub.rollout;

import io.geminik8s.hub.rollout.RolloutEngine.Header;
import io.geminik8s.hub.rollout.RolloutEngine.Phase;

/**
 * Whether an operator's command would do anything to a rollout as it stands: a verb that would change nothing is
 * refused (409, saying why) rather than accepted and audited as done.
 */
final class RolloutVerbs {

    private RolloutVerbs() {
    }

    /** Why {@code action} would do nothing now, or null when it would act. */
    static String nothingToDo(String action, Header h) {
        if (h.phase() != Phase.RUNNING && h.phase() != Phase.PAUSED) {
            return "the rollout is " + name(h.phase()) + ": nothing to " + action;
        }
        return switch (action) {
            case "pause" -> h.phase() == Phase.PAUSED ? "the rollout is already paused" : null;
            case "resume" -> h.phase() == Phase.RUNNING ? "the rollout is running: nothing to resume" : null;
            case "approve" -> {
                int next = h.openWave() + 1;
                if (next >= h.waves()) {
                    yield "the last wave is open: no wave left to approve";
                }
                yield h.approvedWave() >= next ? "wave " + next + " needs no approval (the strategy does not pause"
                        + " after each wave, or it was approved already)" : null;
            }
            default -> null; // abort: a running or paused rollout always has something to stop
        };
    }

    private static String name(Phase p) {
        return p.name().toLowerCase(java.util.Locale.ROOT);
    }
}
