package io.geminik8s.agent.ha;

import io.geminik8s.protocol.WitnessReply;
import io.geminik8s.protocol.WitnessRequest;
import java.util.List;

/**
 * The HA decisions of one node of a pair, as a state machine without I/O: every input carries the time (ms on the
 * node's monotonic clock) and returns the actions to carry out. The fence deadline ({@link #leaseUntil()}) is also
 * watched by a timer of its own, so that a stalled loop cannot keep a lapsed primary writing.
 *
 * <pre>
 * PRIMARY ──peer silent──▶ ALONE ──lease lapsed──▶ FENCED ──hub: still holder──▶ ALONE
 *    ▲                       │ peer acks again                 └──hub: epoch moved──▶ STANDBY (rejoin)
 *    └───────────────────────┘
 * STANDBY ──primary silent──▶ CANDIDATE ──hub grants N+1──▶ PRIMARY
 *    ▲                            │ primary heard again
 *    └────────────────────────────┘
 * PRIMARY/ALONE ──local PostgreSQL silent after 2 restarts──▶ STEPPED_DOWN ──heartbeat of N+1──▶ STANDBY (rejoin)
 * PRIMARY ──hand over (sync peer)──▶ STEPPED_DOWN, epoch released at the hub ──heartbeat of N+1──▶ STANDBY (rejoin)
 * </pre>
 */
public final class PairMachine {

    public enum State { PRIMARY, ALONE, FENCED, STANDBY, CANDIDATE, STEPPED_DOWN }

    /** Restarts of an unanswering local PostgreSQL before the primary gives its epoch up. */
    static final int DATABASE_RESTARTS = 2;
    /** How often a primary that runs on its peer's acks asks the hub anyway, to learn the hub's lease length. */
    static final long LEASE_CHECK_MS = 30_000;
    /** How long after a failed rejoin (the peer unreachable; the old data is kept) it is tried again. */
    static final long REJOIN_RETRY_MS = 5_000;

    private final String peer;
    private final HaTiming timing;
    private State state;
    private long epoch;
    private long leaseUntil;
    private long lastPeerContact; // primary: last ack received; standby: last heartbeat heard
    private long lastAckSent;
    private long lastHubAsk = Long.MIN_VALUE / 2;
    /**
     * Primary: whether the hub may count the peer sync-eligible (a peer-ok was sent and no peer-lost granted since;
     * it starts so: the pair is set up in sync).
     */
    private boolean syncPeer = true;
    /** Primary: whether the peer is in synchronous_standby_names, as last observed (or set) here. */
    private boolean named = true;
    private long notStreamingSince = -1;
    private long lastOkAsk = Long.MIN_VALUE / 2;
    private long lastUseAsk = Long.MIN_VALUE / 2;
    /** Holder by the operator's force-promote, not (yet) recorded by the hub: no lease to lapse until it is. */
    private boolean forced;
    private long dbSilentSince = -1;
    private int dbRestarts;
    /** The hub's lease length, learned from its renew and force grants; -1 until then. */
    private long hubLeaseMs = -1;
    private long lastLeaseCheck = Long.MIN_VALUE / 2;
    /** Primary: the send time of the latest heartbeat an ack answered. */
    private long lastAckedSentAt = Long.MIN_VALUE / 2;
    /** The holder this node is rejoining (pg_rewind or a base backup under way or to retry); null when done. */
    private String rejoining;
    private long rejoinRetryAt = -1;
    /** Stepped down for a planned switchover: the release is asked of the hub until it answers. */
    private boolean releasing;
    private boolean handedOver;
    /** When the hub granted the release; if no standby takes the epoch within two leases, it is reclaimed. */
    private long releasedAt = -1;

    private PairMachine(String peer, HaTiming timing, State state, long epoch, long now) {
        this.peer = peer;
        this.timing = timing;
        this.state = state;
        this.epoch = epoch;
        this.lastPeerContact = now;
        this.lastAckSent = now;
    }

    /** A node that holds {@code epoch} with a lease counted from {@code leaseStart}; its peer synchronous. */
    public static PairMachine primary(String peer, long epoch, long leaseStart, HaTiming timing, long now) {
        return primary(peer, epoch, leaseStart, true, timing, now);
    }

    /** {@code peerSynchronous}: whether the peer is in synchronous_standby_names now (false at bootstrap). */
    public static PairMachine primary(String peer, long epoch, long leaseStart, boolean peerSynchronous,
                                      HaTiming timing, long now) {
        PairMachine m = new PairMachine(peer, timing, State.PRIMARY, epoch, now);
        m.leaseUntil = leaseStart + timing.leaseMs();
        m.syncPeer = peerSynchronous;
        m.named = peerSynchronous;
        return m;
    }

    public static PairMachine standby(String peer, long epoch, HaTiming timing, long now) {
        return new PairMachine(peer, timing, State.STANDBY, epoch, now);
    }

    public State state() {
        return state;
    }

    public long epoch() {
        return epoch;
    }

    /**
     * The lease this node counts from its peer's acks: its ha.lease-ms, or the hub's lease when that is shorter (a
     * longer agent lease would let it write after the hub granted the next epoch).
     */
    public long leaseMs() {
        return hubLeaseMs > 0 ? Math.min(timing.leaseMs(), hubLeaseMs) : timing.leaseMs();
    }

    /** The fence deadline while this node holds the epoch (PRIMARY or ALONE). */
    public long leaseUntil() {
        return leaseUntil;
    }

    public List<Action> tick(long now) {
        switch (state) {
            case PRIMARY, ALONE -> {
                if (now >= leaseUntil) {
                    state = State.FENCED;
                    lastHubAsk = now;
                    return List.of(new Action.Fence(epoch), new Action.RenewWithHub(epoch));
                }
                if (forced) {
                    return askHub(now, new Action.ForceWithHub(epoch));
                }
                if (state == State.PRIMARY && now - lastPeerContact >= timing.peerSilenceMs()) {
                    state = State.ALONE;
                    lastHubAsk = now;
                    return List.of(new Action.ReportPeerLost(epoch, peer), new Action.RenewWithHub(epoch));
                }
                if (state == State.PRIMARY && now - lastLeaseCheck >= LEASE_CHECK_MS) {
                    lastLeaseCheck = now; // also at the start: the hub's lease length is learned from the grant
                    return List.of(new Action.RenewWithHub(epoch));
                }
                if (state == State.ALONE) {
                    return syncPeer || named ? askHub(now, new Action.ReportPeerLost(epoch, peer), new Action.RenewWithHub(epoch))
                            : askHub(now, new Action.RenewWithHub(epoch));
                }
                return List.of();
            }
            case FENCED -> {
                return askHub(now, new Action.RenewWithHub(epoch));
            }
            case STANDBY -> {
                if (rejoining != null) { // its data is no standby's yet: never a candidate
                    if (rejoinRetryAt >= 0 && now >= rejoinRetryAt) {
                        return List.of(rejoin(rejoining));
                    }
                    return List.of();
                }
                if (now - lastPeerContact >= timing.peerSilenceMs()) {
                    state = State.CANDIDATE;
                    lastHubAsk = now;
                    return List.of(new Action.AskPromotion(epoch + 1, now - lastAckSent));
                }
                return List.of();
            }
            case CANDIDATE -> {
                return askHub(now, new Action.AskPromotion(epoch + 1, now - lastAckSent));
            }
            case STEPPED_DOWN -> {
                // silent: no heartbeats, no renewals, so the standby takes over (at once once the hub has the release)
                if (handedOver && releasedAt >= 0 && now - releasedAt >= 2 * timing.leaseMs()) {
                    return reclaim(now); // the standby never took it (died, cut off): the site must not stay down
                }
                return releasing ? askHub(now, new Action.Release(epoch)) : List.of();
            }
            default -> throw new IllegalStateException(state.toString());
        }
    }

    /**
     * A fence this machine did not decide ran: the fence timer or the watchdog fenced the node at the lease deadline
     * (possibly just before an ack or grant moved it). The node writes nothing now, so the machine says so: FENCED,
     * asking the hub, writing again only after an unfence. The Fence action completes what the watchdog leaves out.
     */
    public List<Action> fencedOutside(long now) {
        if (state != State.PRIMARY && state != State.ALONE) {
            return List.of(); // the machine's own fence (or step-down) came first
        }
        state = State.FENCED;
        lastHubAsk = now;
        return List.of(new Action.Fence(epoch), new Action.RenewWithHub(epoch));
    }

    /** Standby side: the holder's heartbeat for {@code heartbeatEpoch}, sent at {@code sentAt} (its clock). */
    public List<Action> peerHeartbeat(long heartbeatEpoch, long sentAt, long now) {
        if (state == State.STEPPED_DOWN && heartbeatEpoch > epoch) {
            epoch = heartbeatEpoch;
            state = State.STANDBY;
            releasing = false;
            lastPeerContact = now;
            return List.of(rejoin(peer));
        }
        if ((state != State.STANDBY && state != State.CANDIDATE) || heartbeatEpoch < epoch) {
            return List.of(); // never follow an older epoch
        }
        epoch = heartbeatEpoch;
        state = State.STANDBY;
        lastPeerContact = now;
        lastAckSent = now;
        return List.of(new Action.AckPeer(epoch, sentAt));
    }

    /**
     * Primary side: the standby acked the heartbeat this node sent at {@code heartbeatSentAt} (this node's clock):
     * the lease runs from that send time.
     */
    public List<Action> peerAck(long ackEpoch, long heartbeatSentAt, long now) {
        if (ackEpoch != epoch || (state != State.PRIMARY && state != State.ALONE)) {
            return List.of(); // a fenced node regains its lease only from the hub
        }
        if (heartbeatSentAt > now) {
            return List.of(); // a send time in the future is no send time of this node's: never a lease from it
        }
        lastPeerContact = now;
        lastAckedSentAt = Math.max(lastAckedSentAt, heartbeatSentAt);
        leaseUntil = Math.max(leaseUntil, heartbeatSentAt + leaseMs());
        if (state == State.ALONE) {
            state = State.PRIMARY; // the peer is back; it rejoins synchronous replication via replication()
        }
        return List.of();
    }

    /**
     * Primary side, for a driver that tells only whether the peer streams: whether it is in
     * synchronous_standby_names is taken from this machine's own actions, and a named streaming peer as synchronous.
     */
    public List<Action> replication(boolean streaming, long now) {
        return replication(streaming, named, streaming && named, now);
    }

    /**
     * Primary side: the peer as this node's PostgreSQL sees it, polled by the supervisor — whether it streams, whether
     * it is in synchronous_standby_names ({@code inNames}) and whether pg_stat_replication shows it streaming with
     * sync_state 'sync' ({@code sync}). A streaming peer is put into synchronous_standby_names (always safe: commits
     * only wait more), and reported sync-eligible to the hub (peer-ok) only once it is confirmed synchronous: the hub
     * never counts a standby eligible that could lack an acknowledged write. A named peer that
     * stops streaming for the peer-silence time is reported lost, and leaves synchronous_standby_names only once the
     * hub recorded that (a peer-ok may have been recorded).
     */
    public List<Action> replication(boolean streaming, boolean inNames, boolean sync, long now) {
        if (state != State.PRIMARY && state != State.ALONE) {
            return List.of();
        }
        named = inNames;
        notStreamingSince = streaming ? -1 : notStreamingSince < 0 ? now : notStreamingSince;
        if (streaming && !named && now - lastUseAsk >= timing.hubRetryMs()) {
            lastUseAsk = now;
            named = true;
            return List.of(new Action.UseSyncStandby(epoch, peer));
        }
        if (streaming && sync && named && !syncPeer && now - lastOkAsk >= timing.hubRetryMs()) {
            lastOkAsk = now;
            return List.of(new Action.ReportPeerOk(epoch, peer));
        }
        if (!streaming && (syncPeer || named) && now - notStreamingSince >= timing.peerSilenceMs()) {
            return askHub(now, new Action.ReportPeerLost(epoch, peer));
        }
        return List.of();
    }

    /**
     * The operator's audited force-promote (the primary is gone and the hub cannot or will not grant the next epoch;
     * data loss accepted): only a standby whose primary has been silent for the peer-silence time. Takes the next
     * epoch at once and writes without a lease until the hub has recorded it; if the hub answers that the old holder
     * is alive, this node steps back and rejoins it.
     *
     * @throws IllegalStateException with the reason when refused
     */
    public List<Action> forcePromote(long now) {
        if (state != State.STANDBY && state != State.CANDIDATE) {
            throw new IllegalStateException("this node is " + state.name().toLowerCase(java.util.Locale.ROOT)
                    + ": only a standby can be force-promoted");
        }
        if (rejoining != null) {
            throw new IllegalStateException("this node is rejoining " + rejoining + ": its data is no standby's yet");
        }
        if (now - lastPeerContact < timing.peerSilenceMs()) {
            throw new IllegalStateException("primary " + peer + " was heard " + (now - lastPeerContact)
                    + " ms ago: it is alive, nothing to force");
        }
        epoch++;
        state = State.ALONE;
        forced = true;
        leaseUntil = Long.MAX_VALUE / 4;
        lastPeerContact = now;
        lastHubAsk = now;
        return List.of(new Action.ForcePromote(epoch), new Action.ForceWithHub(epoch));
    }

    /** Whether this node holds its epoch by force-promote, not yet recorded by the hub. */
    public boolean forced() {
        return forced;
    }

    /**
     * Primary side: whether the local PostgreSQL answered the supervisor's probe. Silent for the peer-silence time:
     * restart it; still silent after {@link #DATABASE_RESTARTS} restarts: fence and step down, i.e. stop
     * heartbeats and renewals so that the standby is granted the next epoch, then rejoin as its standby.
     */
    public List<Action> localDatabase(boolean answering, long now) {
        if (state != State.PRIMARY && state != State.ALONE) {
            return List.of();
        }
        if (answering) {
            dbSilentSince = -1;
            dbRestarts = 0;
            return List.of();
        }
        if (dbSilentSince < 0) {
            dbSilentSince = now;
        }
        if (now - dbSilentSince < timing.peerSilenceMs()) {
            return List.of();
        }
        dbSilentSince = now; // the restart gets a peer-silence of its own
        if (dbRestarts < DATABASE_RESTARTS) {
            dbRestarts++;
            return List.of(new Action.RestartDatabase(epoch));
        }
        state = State.STEPPED_DOWN;
        return List.of(new Action.Fence(epoch));
    }

    /**
     * A planned switchover (an upgrade's): only a primary whose peer follows and is synchronous and sync-eligible,
     * so the standby has every acknowledged write. Fences, then releases the epoch at the hub, so that the standby's
     * promotion is granted at once; then waits, silent, for the standby's heartbeat of the next epoch and rejoins it.
     *
     * @return the actions, or an empty list (nothing done) when this node may not hand over now
     */
    public List<Action> handOver(long now) {
        if (state != State.PRIMARY || forced || !syncPeer || !named || rejoining != null || notStreamingSince >= 0
                || now - lastPeerContact >= timing.peerSilenceMs()) {
            return List.of(); // also while the peer does not stream: a peer-lost may be on its way to the hub
        }
        state = State.STEPPED_DOWN;
        releasing = true;
        handedOver = true;
        releasedAt = -1;
        lastHubAsk = now;
        return List.of(new Action.Fence(epoch), new Action.Release(epoch));
    }

    /** Primary: the peer follows, is in synchronous_standby_names and counted sync-eligible by the hub. */
    public boolean peerSynchronous() {
        return state == State.PRIMARY && syncPeer && named;
    }

    /** A handed-over epoch nobody took: fenced, it asks the hub to renew it and writes again on the grant. */
    private List<Action> reclaim(long now) {
        state = State.FENCED;
        releasing = false;
        handedOver = false;
        releasedAt = -1;
        lastHubAsk = now;
        return List.of(new Action.RenewWithHub(epoch));
    }

    /** Whether the last step-down was a planned switchover (not a silent database). */
    public boolean handedOver() {
        return handedOver;
    }

    /** The restart asked for by {@link #localDatabase} is done: silence is counted afresh. */
    public void databaseRestarted() {
        dbSilentSince = -1;
    }

    /** The hub's answer to a request of kind {@code op} this node sent at {@code requestSentAt}. */
    public List<Action> hubReply(WitnessRequest.Op op, WitnessReply reply, long requestSentAt, long now) {
        boolean granted = reply.outcome() == WitnessReply.Outcome.GRANTED;
        switch (state) {
            case PRIMARY, ALONE, FENCED -> {
                if (forced && op == WitnessRequest.Op.FORCE) {
                    return forceReply(reply, granted, requestSentAt, now);
                }
                if (granted && reply.epoch() == epoch && op == WitnessRequest.Op.PEER_LOST && (syncPeer || named)) {
                    syncPeer = false;
                    named = false;
                    return List.of(new Action.DropSyncStandby(epoch, peer));
                }
                if (granted && reply.epoch() == epoch && op == WitnessRequest.Op.PEER_OK && !syncPeer) {
                    if (!named) { // recorded after this node dropped the peer (a late answer): take it back at once
                        lastHubAsk = now;
                        return List.of(new Action.ReportPeerLost(epoch, peer));
                    }
                    syncPeer = true;
                    return List.of();
                }
                if (granted && reply.epoch() == epoch && reply.leaseMs() != null) {
                    List<Action> alarm = op == WitnessRequest.Op.RENEW ? hubLease(reply.leaseMs()) : List.of();
                    leaseUntil = Math.max(leaseUntil, requestSentAt + reply.leaseMs());
                    if (state == State.FENCED && now < leaseUntil) {
                        state = State.ALONE;
                        return alarm.isEmpty() ? List.of(new Action.Unfence(epoch))
                                : List.of(alarm.get(0), new Action.Unfence(epoch));
                    }
                    return alarm;
                } else if (reply.epoch() != null && reply.epoch() > epoch) {
                    boolean wasWriting = state != State.FENCED;
                    epoch = reply.epoch();
                    state = State.STANDBY;
                    lastPeerContact = now;
                    return wasWriting ? List.of(new Action.Fence(epoch - 1), rejoin(reply.holder()))
                            : List.of(rejoin(reply.holder()));
                }
                return List.of();
            }
            case STEPPED_DOWN -> {
                if (op == WitnessRequest.Op.RELEASE && granted && releasing) {
                    releasing = false;
                    releasedAt = now;
                } else if (op == WitnessRequest.Op.RELEASE && handedOver && reply.outcome() == WitnessReply.Outcome.REFUSED
                        && reply.epoch() != null && reply.epoch() == epoch) {
                    return reclaim(now); // the hub keeps it with this node (no eligible standby): take it back
                } else if (reply.epoch() != null && reply.epoch() > epoch && reply.holder() != null) {
                    epoch = reply.epoch(); // the standby holds the next epoch already: follow it
                    state = State.STANDBY;
                    releasing = false;
                    lastPeerContact = now;
                    return List.of(rejoin(reply.holder()));
                }
                return List.of();
            }
            case CANDIDATE -> {
                if (granted && reply.epoch() == epoch + 1 && reply.leaseMs() != null) {
                    epoch = reply.epoch();
                    state = State.PRIMARY;
                    // the hub records the old holder ineligible at every promotion: report it again once it is
                    // synchronous, even if it never went silent long enough to be reported lost (a switchover)
                    syncPeer = false;
                    leaseUntil = requestSentAt + reply.leaseMs();
                    lastPeerContact = now;
                    return List.of(new Action.Promote(epoch));
                }
                if (reply.epoch() != null && reply.epoch() > epoch) {
                    epoch = reply.epoch(); // someone else holds a newer epoch: follow it
                    state = State.STANDBY;
                    lastPeerContact = now;
                }
                return List.of();
            }
            default -> {
                return List.of();
            }
        }
    }

    private List<Action> forceReply(WitnessReply reply, boolean granted, long requestSentAt, long now) {
        if (granted && reply.epoch() == epoch && reply.leaseMs() != null) {
            forced = false; // recorded: an ordinary holder with a hub lease from now on
            List<Action> alarm = hubLease(reply.leaseMs());
            leaseUntil = requestSentAt + reply.leaseMs();
            return alarm;
        }
        if (!granted && reply.outcome() == WitnessReply.Outcome.REFUSED && reply.epoch() != null
                && (reply.epoch() > epoch || peer.equals(reply.holder()))) {
            forced = false; // the hub knows better: the old holder is alive, or a newer epoch exists
            long mine = epoch;
            epoch = reply.epoch();
            state = State.STANDBY;
            lastPeerContact = now;
            return List.of(new Action.Fence(mine), rejoin(reply.holder()));
        }
        return List.of();
    }

    /**
     * The hub's lease length, from a renew or force grant (its full lease; a repeated promote grant gives only what
     * is left of it). Shorter than ha.lease-ms: the lease counted from the peer's acks is cut to the hub's length at
     * once, and the mismatch reported (once per value).
     */
    private List<Action> hubLease(long ms) {
        if (ms <= 0 || ms == hubLeaseMs) {
            return List.of();
        }
        hubLeaseMs = ms;
        if (ms >= timing.leaseMs()) {
            return List.of();
        }
        leaseUntil = Math.min(leaseUntil, lastAckedSentAt + ms); // the caller extends it by the grant afterwards
        return List.of(new Action.LeaseMismatch(epoch, timing.leaseMs(), ms));
    }

    /**
     * The rejoin asked for (carried out beside the loop) ended: done, or failed with the old data kept, then tried
     * again {@link #REJOIN_RETRY_MS} later. Until it succeeds the node does not ask to be promoted.
     */
    public List<Action> rejoined(boolean ok, long now) {
        if (rejoining == null) {
            return List.of();
        }
        if (ok) {
            rejoining = null;
            lastPeerContact = now; // silence is counted from a node that can follow
        } else {
            rejoinRetryAt = now + REJOIN_RETRY_MS;
        }
        return List.of();
    }

    /**
     * The operator's rebuild of this standby (after a point-in-time restore of the primary, docs/backup.md): its data
     * belongs to a timeline the primary left, so it rejoins the holder it follows as if the epoch had moved. While the
     * rejoin runs or is retried the node is no candidate (its data is no standby's yet).
     *
     * @throws IllegalStateException when this node is no standby, or rejoins already
     */
    public List<Action> rebuild(long now) {
        if (state != State.STANDBY && state != State.CANDIDATE) {
            throw new IllegalStateException("this node is " + state.name().toLowerCase(java.util.Locale.ROOT)
                    + ": only a standby is rebuilt");
        }
        if (rejoining != null) {
            throw new IllegalStateException("this node is rejoining " + rejoining + " already");
        }
        state = State.STANDBY;
        lastPeerContact = now;
        return List.of(rejoin(peer));
    }

    /** Whether a rejoin is under way or to be retried. */
    public boolean rejoining() {
        return rejoining != null;
    }

    private Action rejoin(String holder) {
        rejoining = holder;
        rejoinRetryAt = -1;
        return new Action.Rejoin(epoch, holder);
    }

    private List<Action> askHub(long now, Action... asks) {
        if (now - lastHubAsk < timing.hubRetryMs()) {
            return List.of();
        }
        lastHubAsk = now;
        return List.of(asks);
    }
}
