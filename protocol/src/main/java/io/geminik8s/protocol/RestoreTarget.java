package io.geminik8s.protocol;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The moment a site's point-in-time restore goes back to ({@code gk8s backup restore --to TIME}, the hub's
 * {@code backup-restore} command's {@code args.to}; docs/backup.md): an ISO-8601 time <em>with</em> its offset
 * ({@code 2026-11-30T01:03:28Z}, {@code 2026-11-30T02:03:28.5+01:00}), no later than now; absent: the last archived
 * WAL. One parser for the hub and the agent. A local time without an offset is refused: on a fleet across time
 * zones it would name a different moment on each machine.
 */
public final class RestoreTarget {

    /** Years outside this are typing mistakes, not moments a backup can hold. */
    private static final int FIRST_YEAR = 2000;
    private static final Pattern SHAPE = Pattern.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{5,18}(Z|[+-][0-9]{2}:[0-9]{2})");

    private RestoreTarget() {
    }

    /**
     * {@code to} parsed; empty for null or blank (latest).
     *
     * @throws IllegalArgumentException naming what is wrong and what is expected
     */
    public static Optional<Instant> parse(String to, Instant now) {
        if (to == null || to.isBlank()) {
            return Optional.empty();
        }
        String shown = to.length() > 40 ? to.substring(0, 40) + "..." : to;
        if (!SHAPE.matcher(to).matches()) {
            throw new IllegalArgumentException("to: an ISO-8601 time with its offset, like 2026-11-30T01:03:28Z or"
                    + " 2026-11-30T02:03:28.5+01:00, got '" + printable(shown) + "'");
        }
        Instant t;
        try {
            t = OffsetDateTime.parse(to, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("to: not a valid time: '" + shown + "' (" + e.getMessage() + ")");
        }
        if (t.isAfter(now)) {
            throw new IllegalArgumentException("to: " + t + " is later than now (" + now + "); without --to the"
                    + " restore goes to the last archived WAL");
        }
        if (t.isBefore(Instant.parse(FIRST_YEAR + "-01-01T00:00:00Z"))) {
            throw new IllegalArgumentException("to: " + t + " is before " + FIRST_YEAR);
        }
        return Optional.of(t);
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(c -> b.append(c >= 0x20 && c < 0x7f ? Character.toString(c) : "?"));
        return b.toString();
    }
}
