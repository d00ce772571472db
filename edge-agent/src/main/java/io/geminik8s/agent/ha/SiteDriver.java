package io.geminik8s.agent.ha;

/**
 * What the supervisor does to the node's services. The real driver (PostgreSQL through pg_ctl and SQL, the VIP
 * with ip/arping, K3s through systemd) is the next step of issue 3; every method must be idempotent and quick, and
 * {@link #fence(long)} must never wait on the network.
 */
public interface SiteDriver {

    /** Stop writing: VIP released, PostgreSQL stopped at once (killed), then Kine/K3s stopped. */
    void fence(long epoch);

    /** Resume as holder of {@code epoch}. */
    void unfence(long epoch);

    /** Become holder of {@code epoch}: clear synchronous_standby_names, promote, take the VIP, restart K3s. */
    void promote(long epoch);

    /** The operator's force-promote: as {@link #promote(long)}, and Kine's id sequence moved ahead first. */
    void forcePromote(long epoch);

    /** Whether the local PostgreSQL answers a trivial query within about a second; never throws. */
    boolean localAnswers();

    /**
     * After a fence: whether it holds — no PostgreSQL process of this node runs, the VIP is not here, nothing
     * answers. What a planned switchover checks before it tells the hub the epoch is free. Never throws.
     */
    default boolean fenceHolds() {
        return !localAnswers();
    }

    /** Kill the local PostgreSQL, which stopped answering, and start it again on the same data. */
    void restartDatabase();

    /** Whether the peer's PostgreSQL streams from this (primary) node; may block briefly, never throws. */
    boolean peerStreaming();

    /**
     * The peer as this (primary) node's PostgreSQL sees it: streaming, in synchronous_standby_names, confirmed
     * synchronous ({@code known} false when the server did not answer); {@code null} when this driver can tell only
     * {@link #peerStreaming()}. May block briefly, never throws.
     */
    default io.geminik8s.agent.pg.StandbyStatus peerStatus() {
        return null;
    }

    /** Put the peer into synchronous_standby_names (it streams; the hub is told it is eligible once it is sync). */
    void useSyncStandby(String peer);

    /** Take the peer out of synchronous_standby_names (the hub has recorded it as not sync-eligible). */
    void dropSyncStandby(String peer);

    /** Follow {@code holder} in {@code epoch}: pg_rewind (or a fresh base backup), start as standby. */
    void rejoin(long epoch, String holder);

    /** A rejoin by a fresh copy of the holder's data (no pg_rewind): a standby rebuilt after a restore. */
    default void reclone(long epoch, String holder) {
        rejoin(epoch, holder);
    }
}
