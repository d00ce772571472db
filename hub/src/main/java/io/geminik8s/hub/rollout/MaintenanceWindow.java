package io.geminik8s.hub.rollout;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

/**
 * When a site may change: a window opens at each time the (Unix, five-field) cron expression names, in the site's
 * own time zone, and stays open for {@code duration}. "0 2 * * 1-5" + PT4H = weekdays 02:00–06:00 local time.
 */
public final class MaintenanceWindow {

    private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

    private final String cron;
    private final Duration duration;
    private final ExecutionTime execution;

    private MaintenanceWindow(String cron, Duration duration, ExecutionTime execution) {
        this.cron = cron;
        this.duration = duration;
        this.execution = execution;
    }

    /** @throws IllegalArgumentException naming what is wrong */
    public static MaintenanceWindow of(String cron, Duration duration) {
        if (duration == null || duration.isNegative() || duration.isZero() || duration.toDays() > 7) {
            throw new IllegalArgumentException("window.duration must be positive and at most 7 days");
        }
        try {
            return new MaintenanceWindow(cron, duration, ExecutionTime.forCron(PARSER.parse(cron)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("window.cron '" + cron + "' is not a five-field cron expression: "
                    + e.getMessage());
        }
    }

    /** The site's zone from its {@code tz} label (an IANA name); UTC when absent or not a zone. */
    public static ZoneId zone(String tzLabel) {
        if (tzLabel == null || tzLabel.isBlank()) {
            return ZoneOffset.UTC;
        }
        try {
            return ZoneId.of(tzLabel);
        } catch (DateTimeException e) {
            return ZoneOffset.UTC;
        }
    }

    public String cron() {
        return cron;
    }

    public Duration duration() {
        return duration;
    }

    public boolean isOpen(Instant now, ZoneId zone) {
        ZonedDateTime local = now.atZone(zone);
        // a window that opened less than `duration` ago: the last opening at or before now + 1 s (cron is per minute)
        return execution.lastExecution(local.plusSeconds(1))
                .map(open -> !local.isBefore(open) && local.isBefore(open.plus(duration)))
                .orElse(false);
    }

    /** The next opening after {@code now}, as epoch ms. */
    public long nextOpening(Instant now, ZoneId zone) {
        return execution.nextExecution(now.atZone(zone)).map(t -> t.toInstant().toEpochMilli()).orElse(0L);
    }
}
