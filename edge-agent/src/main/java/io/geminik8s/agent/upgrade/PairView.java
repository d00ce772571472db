package io.geminik8s.agent.upgrade;

/**
 * What the upgrade needs from the pair's HA: this node's role, its peer's upgrade progress (carried on the peer
 * link), and the planned switchover. Implemented by the HA supervisor's view and by the demo's simulated pair.
 */
public interface PairView {

    /** PRIMARY: holds the epoch with its peer following; STANDBY: follows, data caught up; OTHER: anything else. */
    enum Role { PRIMARY, STANDBY, OTHER }

    Role role();

    /** The peer's last announced progress ({@link UpgradeRecord#announce()}), or null when none was heard. */
    String peerProgress();

    /** What this node announces to its peer. */
    void announce(String progress);

    /** Primary: its standby streams synchronously and the hub counts it sync-eligible: a switchover loses nothing. */
    boolean peerSynchronous();

    /** Standby: its PostgreSQL streams from the primary. */
    boolean streaming();

    /**
     * Primary: starts a planned switchover (fence, release the epoch through the witness, rejoin as standby).
     *
     * @return false with nothing done when this node is not a primary with a synchronous peer any more
     */
    boolean handOver();

    /** This node holds the VIP and it answers on its checked port; null when this node does not hold it. */
    default Boolean vipAnswers() {
        return null;
    }
}
