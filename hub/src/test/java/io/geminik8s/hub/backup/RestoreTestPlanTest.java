package io.geminik8s.hub.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.protocol.Schedule;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** When the hub sends a scheduled restore test (fixed clock, UTC): from the last test, one per missed slots, once. */
class RestoreTestPlanTest {

    private static final Schedule SATURDAYS = new Schedule.Cron("0 4 * * 6", ZoneOffset.UTC);
    private static final Schedule WEEKLY = new Schedule.Every(Duration.ofDays(7));
    private static final Duration TTL = Duration.ofHours(1);
    private static final Instant FIRST_BACKUP = Instant.parse("2026-11-29T02:02:00Z"); // a Sunday

    private static RestoreTestPlan.Decision at(Schedule s, String now, Instant lastTest, Instant sent) {
        return RestoreTestPlan.decide(s, new RestoreTestPlan.Site(lastTest, sent, FIRST_BACKUP), Instant.parse(now), TTL);
    }

    @Test
    void nothingToTestBeforeTheFirstBackupThenTheFirstSlotAfterIt() {
        assertFalse(RestoreTestPlan.decide(SATURDAYS, new RestoreTestPlan.Site(null, null, null),
                Instant.parse("2026-12-05T04:00:00Z"), TTL).send());
        RestoreTestPlan.Decision before = at(SATURDAYS, "2026-12-05T03:59:00Z", null, null);
        assertFalse(before.send());
        assertEquals(Instant.parse("2026-12-05T04:00:00Z"), before.nextDue());
        assertTrue(at(SATURDAYS, "2026-12-05T04:00:00Z", null, null).send());
        assertTrue(at(WEEKLY, "2026-12-06T02:02:00Z", null, null).send(), "a week after the first backup");
        assertFalse(at(WEEKLY, "2026-12-06T02:01:00Z", null, null).send());
    }

    @Test
    void sentOnceUntilAnsweredOrExpiredAndMissedSlotsAreOneTest() {
        Instant sent = Instant.parse("2026-12-05T04:00:00Z");
        RestoreTestPlan.Decision waiting = at(SATURDAYS, "2026-12-05T04:30:00Z", null, sent);
        assertFalse(waiting.send(), waiting.reason());
        assertEquals(sent.plus(TTL), waiting.nextDue());
        Instant answered = Instant.parse("2026-12-05T04:03:00Z");
        assertFalse(at(SATURDAYS, "2026-12-05T04:30:00Z", answered, sent).send(), "answered: next Saturday");
        assertEquals(Instant.parse("2026-12-12T04:00:00Z"), at(SATURDAYS, "2026-12-05T04:30:00Z", answered, sent).nextDue());
        assertFalse(at(SATURDAYS, "2026-12-05T05:30:00Z", null, sent).send(),
                "expired unanswered (the standby went away): the next slot, not a resend every minute");
        // the standby was offline for three Saturdays: one test when it is back, then the schedule
        Instant old = Instant.parse("2026-12-05T04:02:00Z");
        assertTrue(at(SATURDAYS, "2026-12-29T10:00:00Z", old, null).send());
        assertFalse(at(SATURDAYS, "2026-12-29T10:05:00Z", Instant.parse("2026-12-29T10:01:00Z"), null).send());
        // a failed test counts as the attempt (its event is the last test): retried at the next slot
        assertEquals(Instant.parse("2027-01-02T04:00:00Z"),
                at(SATURDAYS, "2026-12-29T10:05:00Z", Instant.parse("2026-12-29T10:01:00Z"), null).nextDue());
    }
}
