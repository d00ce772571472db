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

    /**
     * The rollout as it will be once the driver has carried out the commands already accepted and not yet applied
     * (in order): a pause accepted a moment ago makes a resume meaningful, and a second pause pointless.
     */
    static Header afterPending(Header h, java.util.List<String> pending) {
        Header out = h;
        for (String a : pending) {
            Phase p = out.phase();
            out = switch (a) {
                case "pause" -> p == Phase.RUNNING ? with(out, Phase.PAUSED, out.approvedWave()) : out;
                case "resume" -> p == Phase.PAUSED ? with(out, Phase.RUNNING, out.approvedWave()) : out;
                case "abort" -> p == Phase.RUNNING || p == Phase.PAUSED ? with(out, Phase.ABORTED, out.approvedWave())
                        : out;
                case "approve" -> with(out, p, Math.max(out.approvedWave(), out.openWave() + 1));
                default -> out;
            };
        }
        return out;
    }

    private static Header with(Header h, Phase phase, int approvedWave) {
        return new Header(phase, h.reason(), h.openWave(), approvedWave, h.gateAccepted(), h.waves());
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
