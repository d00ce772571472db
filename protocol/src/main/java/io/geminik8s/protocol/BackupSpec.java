package io.geminik8s.protocol;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A site's backups as its template's {@code spec.backup} section says (docs/backup.md); one validator for the hub's
 * template rules and the agent that runs the backups:
 *
 * <pre>
 * backup:
 *   schedule: {full: 7d, diff: 1d, incr: 1h}   # intervals (m, h, d); diff and incr optional
 *   retention: {full: 2, diff: 7}              # backups pgBackRest keeps; diff optional
 *   archiveTimeoutSeconds: 60                  # WAL is archived at least this often while there are writes
 *   retryMinutes: 15                           # after a failed backup, the next try no sooner
 *   repository: {path: /srv/gk8s-backup}       # the central repository (a mounted backup host), absolute
 * </pre>
 */
public record BackupSpec(Duration full, Duration diff, Duration incr, int retentionFull, Integer retentionDiff,
                         int archiveTimeoutSeconds, Duration retry, String repositoryPath) {

    public static final Duration MIN_INTERVAL = Duration.ofMinutes(5);
    private static final Pattern INTERVAL = Pattern.compile("([1-9][0-9]{0,4})([mhd])");
    private static final Pattern PATH = Pattern.compile("/[A-Za-z0-9._/-]*");
    private static final Set<String> FIELDS = Set.of("schedule", "retention", "archiveTimeoutSeconds", "retryMinutes",
            "repository");

    /** The section read from a desired state's {@code spec}; empty when the spec has none (no backups). */
    public static Optional<BackupSpec> fromSpec(Map<String, ?> spec) {
        Object section = spec == null ? null : spec.get("backup");
        return section == null ? Optional.empty() : Optional.of(parse(section));
    }

    /**
     * The section, or an {@link IllegalArgumentException} that names every problem at once, each as
     * {@code backup.field: message}.
     */
    public static BackupSpec parse(Object section) {
        List<String> problems = new ArrayList<>();
        Map<?, ?> m = map(section, "backup", problems);
        if (section == null) {
            problems.add("backup: required");
        }
        unknown(m, FIELDS, "backup", problems);
        Map<?, ?> schedule = map(required(m, "schedule", "backup", problems), "backup.schedule", problems);
        unknown(schedule, Set.of("full", "diff", "incr"), "backup.schedule", problems);
        Duration full = interval(required(schedule, "full", "backup.schedule", problems), "backup.schedule.full",
                problems);
        Duration diff = interval(get(schedule, "diff"), "backup.schedule.diff", problems);
        Duration incr = interval(get(schedule, "incr"), "backup.schedule.incr", problems);
        if (full != null && diff != null && diff.compareTo(full) >= 0) {
            problems.add("backup.schedule.diff: must be shorter than schedule.full (" + full.toHours() + "h)");
        }
        Duration shortest = diff != null ? diff : full;
        if (shortest != null && incr != null && incr.compareTo(shortest) >= 0) {
            problems.add("backup.schedule.incr: must be shorter than schedule." + (diff != null ? "diff" : "full"));
        }
        Map<?, ?> retention = map(required(m, "retention", "backup", problems), "backup.retention", problems);
        unknown(retention, Set.of("full", "diff"), "backup.retention", problems);
        Integer keepFull = integer(required(retention, "full", "backup.retention", problems), 1, 99,
                "backup.retention.full", problems);
        Integer keepDiff = integer(get(retention, "diff"), 1, 999, "backup.retention.diff", problems);
        if (keepDiff != null && get(schedule, "diff") == null) {
            problems.add("backup.retention.diff: needs schedule.diff");
        }
        Integer archiveTimeout = get(m, "archiveTimeoutSeconds") != null
                ? integer(m.get("archiveTimeoutSeconds"), 10, 3600, "backup.archiveTimeoutSeconds", problems) : Integer.valueOf(60);
        Integer retryMin = get(m, "retryMinutes") != null
                ? integer(m.get("retryMinutes"), 1, 1440, "backup.retryMinutes", problems) : Integer.valueOf(15);
        Map<?, ?> repo = map(required(m, "repository", "backup", problems), "backup.repository", problems);
        unknown(repo, Set.of("path"), "backup.repository", problems);
        Object path = required(repo, "path", "backup.repository", problems);
        if (path != null && (!(path instanceof String p) || !PATH.matcher(p).matches() || p.contains("..")
                || p.equals("/"))) {
            problems.add("backup.repository.path: an absolute path of letters, digits, '.', '_', '-' and '/',"
                    + " without '..', not '/', got " + path);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return new BackupSpec(full, diff, incr, keepFull, keepDiff, archiveTimeout, Duration.ofMinutes(retryMin),
                (String) path);
    }

    /** The map, or null when absent or not a map (its fields are then not reported again). */
    private static Map<?, ?> map(Object o, String field, List<String> problems) {
        if (o == null || o instanceof Map<?, ?>) {
            return (Map<?, ?>) o;
        }
        problems.add(field + ": must be a map");
        return null;
    }

    private static Object get(Map<?, ?> m, String key) {
        return m == null ? null : m.get(key);
    }

    private static Object required(Map<?, ?> m, String key, String parent, List<String> problems) {
        if (m == null) {
            return null;
        }
        Object o = m.get(key);
        if (o == null) {
            problems.add(parent + "." + key + ": required");
        }
        return o;
    }

    private static void unknown(Map<?, ?> m, Set<String> known, String parent, List<String> problems) {
        if (m == null) {
            return;
        }
        for (Object k : m.keySet()) {
            if (!known.contains(String.valueOf(k))) {
                problems.add(parent + "." + k + ": unknown field (known: " + String.join(", ", known.stream().sorted()
                        .toList()) + ")");
            }
        }
    }

    static Duration interval(Object o, String field, List<String> problems) {
        if (o == null) {
            return null;
        }
        Matcher x = o instanceof String s ? INTERVAL.matcher(s) : null;
        if (x == null || !x.matches()) {
            problems.add(field + ": an interval like 30m, 6h or 7d, got " + o);
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
        return d;
    }

    private static Integer integer(Object o, int min, int max, String field, List<String> problems) {
        if (o == null) {
            return null;
        }
        if (!(o instanceof Integer || o instanceof Long) || ((Number) o).longValue() < min
                || ((Number) o).longValue() > max) {
            problems.add(field + ": an integer from " + min + " to " + max + ", got " + o);
            return null;
        }
        return ((Number) o).intValue();
    }
}
