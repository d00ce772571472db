package io.geminik8s.agent.ha;

import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.agent.upgrade.PairView;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/** The upgrade's view of a real pair: the HA supervisor's state, the peer link's announcements, the database. */
final class HaPairView implements PairView {

    private final java.util.function.Supplier<HaSupervisor> supervisors;
    private final PgControl local;
    private final InetSocketAddress vip;

    /**
     * {@code supervisors}: the node's supervisor once HA runs (null before); {@code vip}: the VIP and the port whose
     * answer proves it (vip.check-port); null: not checked.
     */
    HaPairView(java.util.function.Supplier<HaSupervisor> supervisors, PgControl local, InetSocketAddress vip) {
        this.supervisors = supervisors;
        this.local = local;
        this.vip = vip;
    }

    /** The supervisor's state; null before HA runs or while its loop is busy (a fence): not known, not acted on. */
    private PairMachine.State state() {
        HaSupervisor s = supervisors.get();
        try {
            return s == null ? null : s.state();
        } catch (IllegalStateException busy) {
            return null;
        }
    }

    @Override
    public Role role() {
        HaSupervisor supervisor = supervisors.get();
        PairMachine.State s = state();
        if (s == PairMachine.State.PRIMARY) {
            return Role.PRIMARY;
        }
        try {
            return s == PairMachine.State.STANDBY && !supervisor.rejoining() ? Role.STANDBY : Role.OTHER;
        } catch (IllegalStateException busy) {
            return Role.OTHER;
        }
    }

    @Override
    public String peerProgress() {
        HaSupervisor s = supervisors.get();
        return s == null ? null : s.peerProgress();
    }

    @Override
    public void announce(String progress) {
        HaSupervisor s = supervisors.get();
        if (s != null) {
            s.announce(progress);
        }
    }

    @Override
    public boolean peerSynchronous() {
        HaSupervisor s = supervisors.get();
        try {
            return s != null && s.peerSynchronous();
        } catch (IllegalStateException busy) {
            return false;
        }
    }

    @Override
    public boolean streaming() {
        return local.receiving();
    }

    @Override
    public boolean handOver() {
        HaSupervisor s = supervisors.get();
        try {
            return s != null && s.handOver();
        } catch (IllegalStateException busy) {
            return false;
        }
    }

    @Override
    public Boolean vipAnswers() {
        PairMachine.State s = state();
        if (vip == null || (s != PairMachine.State.PRIMARY && s != PairMachine.State.ALONE)) {
            return null;
        }
        try (Socket socket = new Socket()) {
            socket.connect(vip, 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
