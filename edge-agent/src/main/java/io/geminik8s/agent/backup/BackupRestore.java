package io.geminik8s.agent.backup;

import io.geminik8s.agent.k3s.K3sDriver;
import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.agent.proc.ProcessRunner;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A site's point-in-time restore on the node that will be primary (docs/backup.md): PostgreSQL stopped, the data
 * directory restored from the repository to {@code target} (or to the last archived WAL), started, and awaited
 * until recovery has ended and the server is promoted, then Kine's ids moved past any revision K3s's clients saw
 * (as at a promotion: the restored store went back in time) once synchronous_standby_names is cleared (the standby
 * it names is on the old timeline); the peer is then re-cloned from it
 * ({@link PgControl#recloneFrom}), as its old data belongs to another timeline.
 */
public final class BackupRestore {

    /** How long the restored server may take to finish recovery. */
    public static final Duration RECOVERY_DEADLINE = Duration.ofMinutes(30);

    /** What a restore took: pgBackRest's restore, and recovery until the server leaves it; whether Kine was found. */
    public record Took(long restoreMs, long recoveryMs, boolean kineBumped) {
        public long totalMs() {
            return restoreMs + recoveryMs;
        }
    }

    private BackupRestore() {
    }

    /** Throws, with pgBackRest's message, when the restore fails; the server is then left stopped. */
    public static Took restore(PgControl pg, PgBackRest tool, Optional<Instant> target) {
        pg.stop();
        ProcessRunner.Result r = tool.restore(target).orThrow();
        long t1 = System.nanoTime();
        pg.start();
        long deadline = System.nanoTime() + RECOVERY_DEADLINE.toNanos();
        while (pg.inRecovery()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(pg.name() + ": still in recovery after " + RECOVERY_DEADLINE);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(20_000_000); // polls the condition, 20 ms apart
        }
        long recovered = (System.nanoTime() - t1) / 1_000_000;
        noSynchronousStandby(pg);
        return new Took(r.tookMs(), recovered, bumpKine(pg));
    }

    /**
     * pgBackRest's recovery settings removed ({@link PgControl#RECOVERY_SETTINGS}); and the restored data carries
     * synchronous_standby_names from the backup, naming a standby whose data is on the old timeline: every commit
     * (Kine's bump first) would wait for it. Cleared, and awaited on a fresh connection (the reload is asynchronous).
     * The caller made sure no standby counts as eligible meanwhile (the hub's peer-lost).
     */
    private static void noSynchronousStandby(PgControl pg) {
        for (String setting : PgControl.RECOVERY_SETTINGS) {
            pg.sql("ALTER SYSTEM RESET " + setting);
        }
        pg.clearSynchronousStandby();
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try (var c = pg.connect(); var st = c.createStatement();
                 var rs = st.executeQuery("SHOW synchronous_standby_names")) {
                rs.next();
                if (rs.getString(1).isEmpty()) {
                    return;
                }
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(pg.name() + ": " + e.getMessage(), e);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(pg.name() + ": synchronous_standby_names not cleared after 30 s");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(20_000_000); // polls the condition, 20 ms apart
        }
    }

    /**
     * The standby {@code standby} rebuilt from the repository instead of from {@code primary}'s disks (a lost or
     * replaced standby disk): the newest backup restored, the archived WAL replayed, the rest streamed from the
     * primary. Throws with pgBackRest's message when the restore fails.
     */
    public static void rebuildStandby(PgControl standby, PgBackRest tool, PgControl primary) {
        standby.restoreStandbyFrom(primary, () -> tool.restoreStandby().orThrow());
    }

    /** As {@link #rebuildStandby(PgControl, PgBackRest, PgControl)}, from the peer repository on this node's disk. */
    public static void rebuildStandby(PgControl standby, PeerRepository repo, PgControl primary) {
        standby.restoreStandbyFrom(primary, () -> repo.restoreStandby().orThrow());
    }

    /** Kine's id sequence moved on, where Kine keeps its table; false for a database without Kine. */
    private static boolean bumpKine(PgControl pg) {
        try {
            pg.sqlWhereFound(List.of(PgControl.KINE_USER, "postgres"), K3sDriver.BUMP_KINE_IDS);
            return true;
        } catch (IllegalStateException e) {
            if (String.valueOf(e.getMessage()).contains(": in none of ")) { // no kine table anywhere
                return false;
            }
            throw e;
        }
    }
}
