package io.geminik8s.agent.ha;

import io.geminik8s.agent.k3s.K3sDriver;
import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.agent.vip.VipControl;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The real {@link SiteDriver}: PostgreSQL ({@link PgControl}), the VIP ({@link VipControl}) and K3s. Order matters:
 * fencing first gives up the VIP (clients stop arriving; milliseconds), then stops PostgreSQL (killed: it commits
 * nothing more, whatever a client sets), then stops K3s — last, because {@code systemctl stop} may take seconds and
 * the lease margin must cover the time until PostgreSQL is down, not K3s's shutdown. A promotion first makes
 * PostgreSQL writable, then takes the VIP, then restarts K3s. Every step of a fence is tried even if an earlier one
 * failed: a half fence is better than none.
 */
public final class NodeDriver implements SiteDriver {

    private static final Logger LOG = Logger.getLogger(NodeDriver.class.getName());

    private final PgControl local;
    private final PgControl peer;
    private final VipControl vip;
    private final K3sDriver k3s;

    /** {@code peer}: how to reach the peer's PostgreSQL (for base backups and rewinds). */
    public NodeDriver(PgControl local, PgControl peer, VipControl vip, K3sDriver k3s) {
        this.local = local;
        this.peer = peer;
        this.vip = vip;
        this.k3s = k3s;
    }

    @Override
    public void fence(long epoch) {
        step("release the VIP", vip::release);
        step("stop PostgreSQL", local::fence);
        step("stop K3s", k3s::stop);
    }

    /** At agent start, before PostgreSQL: a VIP left on the interface by an earlier run goes, K3s waits. */
    public void standDown() {
        step("release the VIP", vip::release);
        step("stop K3s", k3s::stop);
    }

    /** A standby runs its K3s server too (against the primary, through the VIP). */
    public void standbyReady() {
        step("start K3s", k3s::start);
    }

    @Override
    public boolean fenceHolds() {
        try {
            return local.pid().isEmpty() && !vip.held() && !local.answers(1);
        } catch (RuntimeException e) {
            return false; // unsure is not fenced
        }
    }

    @Override
    public void unfence(long epoch) {
        startDatabase();
        takeVip();
        startK3s();
    }

    /** PostgreSQL started (if down) and writable: the first half of {@link #unfence}. */
    void startDatabase() {
        local.unfence();
    }

    /** The VIP taken: the second step of {@link #unfence}. */
    void takeVip() {
        vip.acquire();
    }

    /** K3s started: the last step of {@link #unfence}. */
    void startK3s() {
        k3s.start();
    }

    /** The VIP given up again (a fence came between a resume's check and its take). */
    void releaseVip() {
        step("release the VIP", vip::release);
    }

    @Override
    public void promote(long epoch) {
        local.promote();
        vip.acquire();
        k3s.restart();
    }

    @Override
    public void forcePromote(long epoch) {
        local.promote();
        step("bump Kine's id sequence", k3s::bumpKineIdSequence); // some revisions of the old primary may be lost
        vip.acquire();
        k3s.restart();
    }

    @Override
    public void rejoin(long epoch, String holder) {
        step("release the VIP", vip::release);
        step("stop K3s", k3s::stop);
        try {
            local.rewindFrom(peer);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "pg_rewind failed, taking a fresh base backup", e);
            local.recloneFrom(peer);
        }
        k3s.start();
    }

    @Override
    public void reclone(long epoch, String holder) {
        step("release the VIP", vip::release);
        step("stop K3s", k3s::stop);
        local.recloneFrom(peer); // the old data is kept aside until the copy is complete (DataSwap)
        k3s.start();
    }

    /** As {@link #reclone}, with this node's data replaced by {@code restore} (the backup repository's). */
    void recloneWith(Runnable restore) {
        step("release the VIP", vip::release);
        step("stop K3s", k3s::stop);
        restore.run();
        k3s.start();
    }

    @Override
    public boolean localAnswers() {
        return local.answers(1);
    }

    @Override
    public void restartDatabase() {
        local.restart();
    }

    @Override
    public boolean peerStreaming() {
        return local.streamingTo(peer.name());
    }

    @Override
    public io.geminik8s.agent.pg.StandbyStatus peerStatus() {
        return local.standbyStatus(peer.name());
    }

    @Override
    public void useSyncStandby(String peerName) {
        local.setSynchronousStandby(peerName);
    }

    @Override
    public void dropSyncStandby(String peerName) {
        local.clearSynchronousStandby();
    }

    private static void step(String what, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "fence step failed: " + what, e);
        }
    }
}
