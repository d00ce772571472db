package io.geminik8s.agent.ha;

/** What the node must do now; the HA supervisor carries these out (PostgreSQL, VIP, K3s, witness requests). */
public sealed interface Action {

    /** Stop writing at once: PostgreSQL read-only then stopped, Kine/K3s stopped, VIP released. */
    record Fence(long epoch) implements Action {
    }

    /** The hub confirmed this node still holds {@code epoch}: writes, VIP and K3s may resume. */
    record Unfence(long epoch) implements Action {
    }

    /** Ask the hub to renew the lease of {@code epoch}. */
    record RenewWithHub(long epoch) implements Action {
    }

    /** Tell the hub the standby {@code peer} is lost (it then stops counting as sync-eligible). */
    record ReportPeerLost(long epoch, String peer) implements Action {
    }

    /** Tell the hub the standby {@code peer} streams synchronously again. */
    record ReportPeerOk(long epoch, String peer) implements Action {
    }

    /** The peer streams: put it into synchronous_standby_names (it is reported eligible once confirmed sync). */
    record UseSyncStandby(long epoch, String peer) implements Action {
    }

    /** The hub recorded the peer as not sync-eligible: only now may it leave synchronous_standby_names. */
    record DropSyncStandby(long epoch, String peer) implements Action {
    }

    /** Answer the holder's heartbeat: "following epoch N", echoing the heartbeat's send time. */
    record AckPeer(long epoch, long heartbeatSentAt) implements Action {
    }

    /** Ask the hub for {@code epoch}; {@code sinceLastAckMs} bounds the old holder's lease. */
    record AskPromotion(long epoch, long sinceLastAckMs) implements Action {
    }

    /** Granted: clear synchronous_standby_names, promote PostgreSQL, take the VIP, restart K3s, in that order. */
    record Promote(long epoch) implements Action {
    }

    /** This node's epoch is over: rejoin as standby of {@code epoch} (pg_rewind, else a fresh base backup). */
    record Rejoin(long epoch, String holder) implements Action {
    }

    /** The local PostgreSQL stopped answering: kill it and start it again (quicker than a failover). */
    record RestartDatabase(long epoch) implements Action {
    }

    /**
     * The operator forced this standby to take {@code epoch} (accepting data loss): promote, move Kine's id
     * sequence ahead, take the VIP, restart K3s.
     */
    record ForcePromote(long epoch) implements Action {
    }

    /** Tell the hub about the forced epoch until it records it (or refuses: the old holder is alive). */
    record ForceWithHub(long epoch) implements Action {
    }

    /**
     * The hub's lease is shorter than this node's ha.lease-ms (split brain by configuration): the node now counts its
     * lease with the hub's length; tell the operator.
     */
    record LeaseMismatch(long epoch, long configuredMs, long hubMs) implements Action {
    }

    /**
     * Planned switchover: give the epoch up at the hub (witness op release) — carried out only once the local
     * PostgreSQL is verified down after the fence, and asked again until the hub answers.
     */
    record Release(long epoch) implements Action {
    }
}
