package io.geminik8s.hub.backup;

import io.geminik8s.protocol.Schedule;
import java.time.Duration;
import java.time.Instant;

/**
 * Whether a site's scheduled restore test is due (docs/backup.md); pure, so each rule is a unit test. The schedule
 * ({@code spec.backup.restoreTest}: an interval or a cron expression) counts from the site's newest restore test,
 * passed or failed (its nodes' events, so it survives a failover and a hub restart), or from the test this hub sent
 * if that is newer; a site never tested counts from its first good backup (nothing to test before). However many
 * slots passed (the standby was offline), one test is sent, not one per slot. A test sent and not answered yet is
 * not sent again until its command expired.
 */
public final class RestoreTestPlan {

    /** What is known of a site: times may be null (none yet). */
    public record Site(Instant lastTest, Instant sentAt, Instant firstBackup) {
    }

    /** A test to send now, or not, and when the next one is due (null: never, or nothing to test yet). */
    public record Decision(boolean send, String reason, Instant nextDue) {
    }

    private RestoreTestPlan() {
    }

    public static Decision decide(Schedule schedule, Site s, Instant now, Duration commandTtl) {
        if (s.firstBackup() == null) {
            return new Decision(false, "no good backup yet: nothing to test", null);
        }
        boolean answered = s.sentAt() == null || (s.lastTest() != null && !s.lastTest().isBefore(s.sentAt()));
        if (!answered && now.isBefore(s.sentAt().plus(commandTtl))) {
            return new Decision(false, "a restore test sent at " + s.sentAt() + " is not answered yet",
                    s.sentAt().plus(commandTtl));
        }
        Instant base = latest(s.lastTest(), s.sentAt());
        if (base == null) {
            base = s.firstBackup();
        }
        Instant due = schedule.nextAfter(base).orElse(null);
        if (due == null) {
            return new Decision(false, schedule.text() + " never fires again", null);
        }
        if (now.isBefore(due)) {
            return new Decision(false, "next restore test at " + due + " (" + schedule.text() + ")", due);
        }
        return new Decision(true, (s.lastTest() == null ? "no restore test yet" : "last restore test at "
                + s.lastTest()) + " (" + schedule.text() + ")", null);
    }

    private static Instant latest(Instant a, Instant b) {
        return a == null ? b : b == null ? a : a.isAfter(b) ? a : b;
    }
}
