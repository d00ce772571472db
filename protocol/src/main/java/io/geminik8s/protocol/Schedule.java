package io.geminik8s.protocol;

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
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When something recurs (a backup type, a restore test; docs/backup.md): an interval ({@code 6h}) measured from the
 * last time it happened, or a five-field Unix cron expression ({@code {cron: "0 2 * * 0"}}) in a time zone, whose
 * next slot after the last time is when it is due. Parsed with cron-utils; one parser for the hub and the agent.
 */
public sealed interface Schedule permits Schedule.Every, Schedule.Cron {

    Duration MIN_INTERVAL = Duration.ofMinutes(5);
    int MAX_CRON_LENGTH = 100;

    /** When it is next due, given the last time it happened; empty when a cron expression never fires again. */
    Optional<Instant> nextAfter(Instant last);

    /** As an operator wrote it, for messages. */
    String text();

    /** Every {@code period}, counted from the last time. */
    record Every(Duration period) implements Schedule {
        @Override
        public Optional<Instant> nextAfter(Instant last) {
            return Optional.of(last.plus(period));
        }

        @Override
        public String text() {
            long m = period.toMinutes();
            return m % 1440 == 0 ? m / 1440 + "d" : m % 60 == 0 ? m / 60 + "h" : m + "m";
        }
    }

    /** At each slot of a five-field cron expression in {@code zone}; due once a slot after the last time passed. */
    record Cron(String expression, ZoneId zone) implements Schedule {
        @Override
        public Optional<Instant> nextAfter(Instant last) {
            return Parsing.execution(expression).nextExecution(last.atZone(zone)).map(ZonedDateTime::toInstant);
        }

        @Override
        public String text() {
            return "cron '" + expression + "'" + (zone.equals(ZoneOffset.UTC) ? " UTC" : " " + zone.getId());
        }
    }

    /**
     * An interval string ({@code 30m}, {@code 6h}, {@code 7d}; at least 5m) or a map {@code {cron: "m h dom mon dow"}};
     * null when absent or wrong, with the problem added as {@code field: message}.
     */
    static Schedule parse(Object o, ZoneId zone, String field, List<String> problems) {
        if (o == null) {
            return null;
        }
        if (o instanceof java.util.Map<?, ?> m) {
            for (Object k : m.keySet()) {
                if (!"cron".equals(String.valueOf(k))) {
                    problems.add(field + "." + Parsing.shown(k) + ": unknown field (known: cron)");
                }
            }
            Object cron = m.get("cron");
            if (cron == null) {
                problems.add(field + ".cron: required, a five-field cron expression like \"0 2 * * 0\"");
                return null;
            }
            String problem = Parsing.cronProblem(cron);
            if (problem != null) {
                problems.add(field + ".cron: " + problem);
                return null;
            }
            return new Cron(((String) cron).trim().replaceAll("\\s+", " "), zone);
        }
        Matcher x = o instanceof String s ? Parsing.INTERVAL.matcher(s) : null;
        if (x == null || !x.matches()) {
            problems.add(field + ": an interval like 30m, 6h or 7d, or {cron: \"0 2 * * 0\"}, got " + Parsing.shown(o));
            return null;
        }
        long n = Long.parseLong(x.group(1));
        Duration d = switch (x.group(2)) {
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
        if (d.compareTo(MIN_INTERVAL) < 0) {
            problems.add(field + ": at least 5m, got " + o);
            return null;
        }
        return new Every(d);
    }

    /** A time zone for the section's cron expressions: an IANA name ({@code Europe/Berlin}) or UTC when absent. */
    static ZoneId zone(Object o, String field, List<String> problems) {
        if (o == null) {
            return ZoneOffset.UTC;
        }
        if (o instanceof String s && s.length() <= 64 && s.matches("[A-Za-z][A-Za-z0-9_+/-]*")) {
            try {
                return ZoneId.of(s);
            } catch (DateTimeException e) {
                // named below
            }
        }
        problems.add(field + ": an IANA time zone like Europe/Berlin or UTC, got " + Parsing.shown(o));
        return null;
    }

    /** Helpers; not part of the API. */
    final class Parsing {
        static final Pattern INTERVAL = Pattern.compile("([1-9][0-9]{0,4})([mhd])");
        private static final CronParser PARSER =
                new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
        /** A Thursday, DST-free: where the checks for "never fires" and "too often" start. */
        private static final ZonedDateTime PROBE = ZonedDateTime.of(2026, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);

        private Parsing() {
        }

        static ExecutionTime execution(String expression) {
            return ExecutionTime.forCron(PARSER.parse(expression));
        }

        /** Why {@code o} is not an accepted cron expression, or null when it is. Never throws. */
        static String cronProblem(Object o) {
            if (!(o instanceof String s)) {
                return "a five-field cron expression in quotes, got " + shown(o);
            }
            String t = s.trim();
            if (t.isEmpty()) {
                return "empty; a five-field cron expression like \"0 2 * * 0\"";
            }
            if (t.length() > MAX_CRON_LENGTH) {
                return "at most " + MAX_CRON_LENGTH + " characters, got " + t.length();
            }
            if (t.startsWith("@")) {
                return "macros like " + shown(t) + " are not accepted: write the five fields (@daily is \"0 0 * * *\")";
            }
            if (!t.matches("[\\x21-\\x7e]+(\\s+[\\x21-\\x7e]+)*")) {
                return "only ASCII letters, digits and * , - / in five fields, got " + shown(t);
            }
            int fields = t.split("\\s+").length;
            if (fields != 5) {
                return "five fields (minute hour day-of-month month day-of-week), got " + fields
                        + (fields == 6 ? " (seconds or years are not accepted)" : "") + ": " + shown(t);
            }
            ExecutionTime e;
            try {
                e = execution(t);
            } catch (RuntimeException x) {
                return "not a cron expression (" + shown(x.getMessage()) + "): " + shown(t);
            }
            try {
                Optional<ZonedDateTime> at = e.nextExecution(PROBE);
                if (at.isEmpty()) {
                    return "never fires: " + shown(t);
                }
                for (int i = 0; i < 30; i++) {
                    Optional<ZonedDateTime> next = e.nextExecution(at.get());
                    if (next.isEmpty()) {
                        break;
                    }
                    if (Duration.between(at.get(), next.get()).compareTo(MIN_INTERVAL) < 0) {
                        return "fires more often than every 5 minutes: " + shown(t);
                    }
                    at = next;
                }
            } catch (RuntimeException x) {
                return "not a usable cron expression (" + shown(x.getMessage()) + "): " + shown(t);
            }
            return null;
        }

        /** An operator's value for a message: printable, no ';' (it separates problems), at most 60 characters. */
        static String shown(Object o) {
            String s = String.valueOf(o);
            StringBuilder b = new StringBuilder();
            s.codePoints().limit(60).forEach(c -> b.appendCodePoint(
                    c == ';' || Character.isISOControl(c) || !Character.isDefined(c) ? '?' : c));
            return s.codePointCount(0, s.length()) > 60 ? b + "..." : b.toString();
        }
    }
}
