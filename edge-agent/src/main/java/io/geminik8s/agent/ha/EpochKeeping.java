package io.geminik8s.agent.ha;

import java.util.function.LongConsumer;

/** A {@link SiteDriver} that records the epoch this node holds or follows (ha-epoch) whenever it changes. */
final class EpochKeeping implements SiteDriver {

    private final SiteDriver d;
    private final LongConsumer save;

    EpochKeeping(SiteDriver d, LongConsumer save) {
        this.d = d;
        this.save = save;
    }

    public void fence(long epoch) {
        d.fence(epoch);
    }

    public void unfence(long epoch) {
        d.unfence(epoch);
    }

    public void promote(long epoch) {
        d.promote(epoch);
        save.accept(epoch);
    }

    public void rejoin(long epoch, String holder) {
        d.rejoin(epoch, holder);
        save.accept(epoch);
    }

    @Override
    public void reclone(long epoch, String holder) {
        d.reclone(epoch, holder);
        save.accept(epoch);
    }

    public boolean peerStreaming() {
        return d.peerStreaming();
    }

    public io.geminik8s.agent.pg.StandbyStatus peerStatus() {
        return d.peerStatus();
    }

    public void forcePromote(long epoch) {
        d.forcePromote(epoch);
        save.accept(epoch);
    }

    public boolean localAnswers() {
        return d.localAnswers();
    }

    public void restartDatabase() {
        d.restartDatabase();
    }

    public void useSyncStandby(String p) {
        d.useSyncStandby(p);
    }

    public void dropSyncStandby(String p) {
        d.dropSyncStandby(p);
    }
}
