package io.geminik8s.agent.ha;

import io.geminik8s.agent.backup.BackupRestore;
import io.geminik8s.agent.backup.PgBackRest;
import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.protocol.Severity;
import io.geminik8s.protocol.WitnessReply;
import io.geminik8s.protocol.WitnessRequest;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The site's point-in-time restore on its primary (the hub's {@code backup-restore}, docs/backup.md), never with two
 * writers: only the node holding its epoch with a valid lease starts it; its supervisor stops (no fence timer, no
 * watchdog: they would kill the server being restored), then the hub records the standby <em>not sync-eligible</em>
 * ({@code peer-lost}, granted only to the holder), so the standby's {@code promote} is refused for as long as the
 * restore takes; without that grant nothing is restored. Then the VIP is released and K3s stopped, the data
 * restored ({@link BackupRestore#restore}: promoted on a new timeline, Kine's ids bumped), the server stopped, and
 * supervision resumes as after an agent restart: fenced until the hub renews the epoch, then writing again. The
 * standby is rebuilt afterwards by its own command ({@code standby-rebuild}).
 */
final class PrimaryRestore {

    /** Restarts this node's supervision as an agent start would (fenced until the witness renews the epoch). */
    interface Resume {
        void run() throws InterruptedException;
    }

    private final String peerNode;
    private final WitnessPort witness;
    private final NodeDriver driver;
    private final PgControl local;
    private final HaEvents events;

    PrimaryRestore(String peerNode, WitnessPort witness, NodeDriver driver, PgControl local, HaEvents events) {
        this.peerNode = peerNode;
        this.witness = witness;
        this.driver = driver;
        this.local = local;
        this.events = events;
    }

    /** Restores; what was done, for the command's answer. Throws with the reason (supervision resumed). */
    String run(HaSupervisor s, Optional<Instant> target, PgBackRest tool, Resume resume) throws InterruptedException {
        long epoch = s.epoch();
        String to = target.map(Instant::toString).orElse("latest");
        Map<String, String> attrs = new LinkedHashMap<>(Map.of("target", to, "epoch", Long.toString(epoch)));
        events.record("backup.restore-started", Severity.WARNING, "restore to " + to + ": supervision paused, K3s"
                + " stopped", attrs);
        s.close(); // the loop, the fence timer and the watchdog stop; PostgreSQL and the VIP stay as they are
        boolean restored = false;
        try {
            WitnessReply r = ask(epoch);
            if (r == null || r.outcome() != WitnessReply.Outcome.GRANTED) {
                throw new IllegalStateException("the hub did not record " + peerNode + " as not eligible (" + (r == null
                        ? "no answer" : r.outcome() + ": " + r.reason()) + "); nothing restored");
            }
            driver.standDown(); // the VIP released, K3s stopped: no client writes through the restore
            BackupRestore.Took took = BackupRestore.restore(local, tool, target);
            local.stop();
            restored = true;
            attrs.put("restoreMs", Long.toString(took.restoreMs()));
            attrs.put("recoveryMs", Long.toString(took.recoveryMs()));
            attrs.put("kineBumped", Boolean.toString(took.kineBumped()));
            String done = "restored to " + to + " in " + took.totalMs() + " ms (pgBackRest " + took.restoreMs()
                    + " ms, recovery " + took.recoveryMs() + " ms)" + (took.kineBumped() ? ", Kine's ids bumped" : "")
                    + "; " + peerNode + " must be rebuilt (standby-rebuild)";
            resume.run();
            events.record("backup.restore-completed", Severity.WARNING, done, attrs);
            return done;
        } catch (RuntimeException e) {
            attrs.put("restored", Boolean.toString(restored));
            String why = String.valueOf(e.getMessage());
            events.record("backup.restore-failed", Severity.CRITICAL, why.length() > 500 ? why.substring(why.length()
                    - 500) : why, attrs);
            if (!restored) {
                resume.run();
            }
            throw e;
        }
    }

    private WitnessReply ask(long epoch) throws InterruptedException {
        try {
            return witness.ask(WitnessRequest.Op.PEER_LOST, epoch, peerNode, null).get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return null;
        }
    }
}
