package io.geminik8s.agent.upgrade;

/**
 * The pair-aware upgrade's decisions, without I/O: what this node does next for the newest desired generation.
 * The standby goes first; the primary waits until its standby announces the generation done and streams
 * synchronously, then hands over (a planned switchover) and, as the new standby, upgrades itself. A node already
 * on the target is done at once; a generation that failed here is not tried again (a newer one may be). PostgreSQL
 * settings that a reload takes are applied in place on both nodes; one that needs a restart takes the pair-aware
 * path like a new K3s (a primary is never restarted in place). So does a new version of the agent itself: an agent
 * restart on a primary would fence it (docs/ha.md), so the primary's agent restarts only once it is the standby.
 */
public final class UpgradePlan {

    public enum Next {
        /** Nothing to do now. */
        NOTHING,
        /** The spec names no K3s version: the generation is settled without touching K3s. */
        SETTLE,
        /** Already running the target: done. */
        DONE,
        /** Install the target (or carry an interrupted install on), then verify. */
        INSTALL,
        /** The agent restarted into a new version on trial (or came back to the old one): prove it, or roll back. */
        RESUME_AGENT,
        /** Only PostgreSQL settings that a reload takes changed: applied where the node stands, no switchover. */
        APPLY_IN_PLACE,
        /** An interrupted rollback: carry it on. */
        ROLLBACK,
        /** Primary: the standby goes first. */
        WAIT_FOR_STANDBY,
        /** Primary: the standby is done and synchronous: planned switchover. */
        HAND_OVER
    }

    /**
     * {@code target}: the K3s version the generation names (null: none); {@code running}: what K3s reports;
     * {@code record}: this node's record (null: none yet); {@code peer}: the peer's announced progress;
     * {@code settingsChanged}: the generation's PostgreSQL settings differ from those this node applied, and
     * {@code settingsNeedRestart}: some of the changed ones take effect only after a restart;
     * {@code pairAwareChange}: something else changes that restarts a service of the node (the agent itself, or
     * certificate files K3s reads at its start).
     */
    public record Input(long generation, String target, String running, PairView.Role role, String peer,
                        boolean peerSynchronous, boolean hubReachable, UpgradeRecord record, boolean settingsChanged,
                        boolean settingsNeedRestart, boolean pairAwareChange) {
        public Input(long generation, String target, String running, PairView.Role role, String peer,
                     boolean peerSynchronous, boolean hubReachable, UpgradeRecord record, boolean settingsChanged,
                     boolean settingsNeedRestart) {
            this(generation, target, running, role, peer, peerSynchronous, hubReachable, record, settingsChanged,
                    settingsNeedRestart, false);
        }

        public Input(long generation, String target, String running, PairView.Role role, String peer,
                     boolean peerSynchronous, boolean hubReachable, UpgradeRecord record) {
            this(generation, target, running, role, peer, peerSynchronous, hubReachable, record, false, false);
        }
    }

    private UpgradePlan() {
    }

    public static Next decide(Input in) {
        UpgradeRecord r = in.record();
        if (in.generation() <= 0 || (r != null && r.generation() > in.generation())) {
            return Next.NOTHING;
        }
        boolean current = r != null && r.generation() == in.generation();
        if (current && r.finished()) {
            return Next.NOTHING;
        }
        // an unfinished step, of this generation or one a newer has overtaken, is ended before anything new
        if (r != null && "restarting-agent".equals(r.step())) {
            return Next.RESUME_AGENT; // prove the agent on trial, or undo: whatever the role, never left hanging
        }
        if (r != null && "rolling-back".equals(r.step())) {
            return Next.ROLLBACK;
        }
        boolean binariesThere = (in.target() == null || in.target().equals(in.running())) && !in.pairAwareChange();
        if (r != null && ("installing".equals(r.step()) || "verifying".equals(r.step()))) {
            if (in.role() == PairView.Role.OTHER) {
                return Next.NOTHING; // fenced, rejoining: undone or resumed once the node is whole again
            }
            if (current && in.role() == PairView.Role.PRIMARY && binariesThere && !in.settingsNeedRestart()) {
                return Next.APPLY_IN_PLACE; // an in-place apply interrupted (or all that is left): no restart
            }
            // interrupted on the standby: install again (idempotent) and verify; overtaken, or the node promoted
            // meanwhile: undone (without restarts on a primary) and the newer generation taken from there
            return current && in.role() == PairView.Role.STANDBY ? Next.INSTALL : Next.ROLLBACK;
        }
        if (binariesThere && !in.settingsChanged()) {
            return in.target() == null ? Next.SETTLE : Next.DONE;
        }
        if (binariesThere && !in.settingsNeedRestart()) {
            return in.role() == PairView.Role.OTHER ? Next.NOTHING : Next.APPLY_IN_PLACE; // no restart: no switchover
        }
        return switch (in.role()) {
            case STANDBY -> Next.INSTALL;
            // the standby done, synchronous, and both nodes reaching the hub: else the switchover could stop the site
            case PRIMARY -> (in.generation() + ":done:h").equals(in.peer()) && in.peerSynchronous() && in.hubReachable()
                    ? Next.HAND_OVER : Next.WAIT_FOR_STANDBY;
            case OTHER -> Next.NOTHING; // alone, fenced, a candidate, rejoining: the pair is not whole, nothing moves
        };
    }
}
