package io.geminik8s.agent.backup;

import io.geminik8s.protocol.BackupSpec;
import io.geminik8s.protocol.Schedule;
import io.geminik8s.agent.ha.PairMachine;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Decides whether this node takes a backup now, and of which type; pure (no clock, no I/O), so every rule is a unit
 * test. Only the node that writes takes backups: its HA state is {@code PRIMARY} or {@code ALONE} and it holds the
 * hub's lease for its epoch. A fenced node, a standby, a candidate or a node whose lease lapsed never does (its
 * database may be behind, or stopped). The schedule is one interval or cron expression per type, measured from the
 * last good backup of that type the repository holds (so it follows a failover: the new primary reads the same
 * repository, not this agent's memory), and a failure is retried no sooner than {@link BackupSpec#retry()}.
 */
public final class BackupPlanner {

    /** What the repository and this agent know: the last good backup of each type, and the last failure. */
    public record History(Instant lastFull, Instant lastDiff, Instant lastIncr, Instant lastFailure) {
        public static final History EMPTY = new History(null, null, null, null);

        Instant lastAny() {
            return latest(latest(lastFull, lastDiff), lastIncr);
        }
    }

    /** The node as the HA supervisor sees it: its state and whether the hub's lease for its epoch is still valid. */
    public record Role(PairMachine.State state, boolean leaseHeld) {
        boolean writes() {
            return leaseHeld && (state == PairMachine.State.PRIMARY || state == PairMachine.State.ALONE);
        }
    }

    /** A backup to take now ({@code type} present) or why not, and when the next one is due. */
    public record Decision(Optional<BackupType> type, String reason, Instant nextDue) {
        static Decision take(BackupType t, String reason) {
            return new Decision(Optional.of(t), reason, null);
        }

        static Decision skip(String reason, Instant nextDue) {
            return new Decision(Optional.empty(), reason, nextDue);
        }
    }

    private BackupPlanner() {
    }

    public static Decision decide(BackupSpec spec, Instant now, Role role, History h) {
        if (role.state() == PairMachine.State.FENCED) {
            return Decision.skip("fenced: this node writes nothing and backs up nothing", null);
        }
        if (!role.writes()) {
            return Decision.skip("not the primary holding the epoch (" + role.state()
                    + (role.leaseHeld() ? "" : ", no lease") + "): the primary takes the backups", null);
        }
        return schedule(spec, now, h);
    }

    /**
     * Whether the standby backs up into the peer repository on its own disk now: the same schedule, counted from
     * that repository's backups. Only a standby does (never a primary: the repository would then be on its own disk).
     */
    public static Decision decidePeer(BackupSpec spec, Instant now, Role role, History h) {
        if (role.state() != PairMachine.State.STANDBY) {
            return Decision.skip("not the standby (" + role.state() + "): the standby backs up into the peer"
                    + " repository on its disk", null);
        }
        return schedule(spec, now, h);
    }

    private static Decision schedule(BackupSpec spec, Instant now, History h) {
        if (h.lastFailure() != null && h.lastAny() != null && h.lastFailure().isBefore(h.lastAny())) {
            h = new History(h.lastFull(), h.lastDiff(), h.lastIncr(), null); // a backup succeeded since
        }
        if (h.lastFailure() != null && now.isBefore(h.lastFailure().plus(spec.retry()))) {
            Instant retry = h.lastFailure().plus(spec.retry());
            return Decision.skip("the last backup failed; retry at " + retry, retry);
        }
        if (h.lastFull() == null) {
            return Decision.take(BackupType.FULL, "no full backup in the repository");
        }
        Instant next = null;
        Instant fullDue = due(spec.full(), h.lastFull());
        if (fullDue != null && !now.isBefore(fullDue)) {
            return Decision.take(BackupType.FULL, "last full backup " + age(h.lastFull(), now) + " ago ("
                    + spec.full().text() + ")");
        }
        next = earliest(next, fullDue);
        if (spec.diff() != null) {
            Instant base = latest(h.lastFull(), h.lastDiff());
            Instant due = due(spec.diff(), base);
            if (due != null && !now.isBefore(due)) {
                return Decision.take(BackupType.DIFF, "last full or differential backup " + age(base, now) + " ago ("
                        + spec.diff().text() + ")");
            }
            next = earliest(next, due);
        }
        if (spec.incr() != null) {
            Instant due = due(spec.incr(), h.lastAny());
            if (due != null && !now.isBefore(due)) {
                return Decision.take(BackupType.INCR, "last backup " + age(h.lastAny(), now) + " ago ("
                        + spec.incr().text() + ")");
            }
            next = earliest(next, due);
        }
        return Decision.skip("nothing due", next);
    }

    /**
     * When a type is next due after its last good backup: the interval after it, or the first cron slot after it.
     * However many slots passed since (the node was down, no primary held the epoch), it is one slot: one backup
     * catches up, and the next is the first slot after that backup, not a burst of the missed ones. Null: never.
     */
    static Instant due(Schedule schedule, Instant last) {
        return schedule.nextAfter(last).orElse(null);
    }

    /** pgBackRest's expire options for the spec's retention (applied by pgBackRest after each backup). */
    public static java.util.List<String> retentionOptions(BackupSpec spec) {
        java.util.List<String> o = new java.util.ArrayList<>();
        o.add("repo1-retention-full-type=count");
        o.add("repo1-retention-full=" + spec.retentionFull());
        if (spec.retentionDiff() != null) {
            o.add("repo1-retention-diff=" + spec.retentionDiff());
        }
        return o;
    }

    private static String age(Instant then, Instant now) {
        Duration d = Duration.between(then, now);
        return d.toHours() >= 1 ? d.toHours() + "h" : d.toMinutes() + "m";
    }

    static Instant latest(Instant a, Instant b) {
        return a == null ? b : b == null ? a : a.isAfter(b) ? a : b;
    }

    private static Instant earliest(Instant a, Instant b) {
        return a == null ? b : b == null ? a : a.isBefore(b) ? a : b;
    }
}
