package io.geminik8s.protocol;

import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A site's backups as its template's {@code spec.backup} section says (docs/backup.md); one validator for the hub's
 * template rules and the agent that runs the backups:
 *
 * <pre>
 * backup:
 *   schedule:                                  # each an interval (m, h, d) or {cron: "..."}; diff and incr optional
 *     full: {cron: "0 2 * * 0"}                #   Sundays 02:00
 *     diff: {cron: "0 1 * * *"}                #   nightly 01:00
 *     incr: 1h                                 #   an hour after the newest backup
 *   timeZone: Europe/Berlin                    # for every cron expression of the section; UTC when absent
 *   restoreTest: {cron: "0 4 * * 6"}           # optional: the hub sends backup-verify on this schedule
 *   retention: {full: 2, diff: 7}              # backups pgBackRest keeps; diff optional
 *   archiveTimeoutSeconds: 60                  # WAL is archived at least this often while there are writes
 *   retryMinutes: 15                           # after a failed backup, the next try no sooner
 *   repository: {path: /srv/gk8s-backup}       # the central repository (a mounted backup host), absolute
 *   peerRepository: {path: /var/lib/gk8s/peer-backup, port: 8432}   # optional: a second one on the standby
 * </pre>
 */
public record BackupSpec(Schedule full, Schedule diff, Schedule incr, int retentionFull, Integer retentionDiff,
                         int archiveTimeoutSeconds, Duration retry, String repositoryPath, Schedule restoreTest,
                         PeerRepository peerRepository) {

    /**
     * The second repository, on the disk of whichever node is the standby, reached through pgBackRest's own TLS
     * server on {@code port} (docs/backup.md, "The peer repository"); WAL is pushed to it after the central one.
     */
    public record PeerRepository(String path, int port) {
        public static final int DEFAULT_PORT = 8432;
    }

    public Optional<PeerRepository> peer() {
        return Optional.ofNullable(peerRepository);
    }

    public static final Duration MIN_INTERVAL = Schedule.MIN_INTERVAL;
    private static final Pattern PATH = Pattern.compile("/[A-Za-z0-9._/-]*");
    private static final Set<String> FIELDS = Set.of("schedule", "retention", "archiveTimeoutSeconds", "retryMinutes",
            "repository", "timeZone", "restoreTest", "peerRepository");

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
        ZoneId zone = Schedule.zone(get(m, "timeZone"), "backup.timeZone", problems);
        Schedule full = Schedule.parse(required(schedule, "full", "backup.schedule", problems), zone,
                "backup.schedule.full", problems);
        Schedule diff = Schedule.parse(get(schedule, "diff"), zone, "backup.schedule.diff", problems);
        Schedule incr = Schedule.parse(get(schedule, "incr"), zone, "backup.schedule.incr", problems);
        // intervals must nest; a cron expression has no single period, so its slots are not compared
        if (full instanceof Schedule.Every f && diff instanceof Schedule.Every d && d.period().compareTo(f.period()) >= 0) {
            problems.add("backup.schedule.diff: must be shorter than schedule.full (" + f.period().toHours() + "h)");
        }
        Schedule shortest = diff != null ? diff : full;
        if (shortest instanceof Schedule.Every s && incr instanceof Schedule.Every i
                && i.period().compareTo(s.period()) >= 0) {
            problems.add("backup.schedule.incr: must be shorter than schedule." + (diff != null ? "diff" : "full"));
        }
        Schedule restoreTest = Schedule.parse(get(m, "restoreTest"), zone, "backup.restoreTest", problems);
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
        path(path, "backup.repository.path", problems);
        PeerRepository peer = null;
        Map<?, ?> peerMap = map(get(m, "peerRepository"), "backup.peerRepository", problems);
        if (peerMap != null) {
            unknown(peerMap, Set.of("path", "port"), "backup.peerRepository", problems);
            Object peerPath = required(peerMap, "path", "backup.peerRepository", problems);
            path(peerPath, "backup.peerRepository.path", problems);
            if (peerPath instanceof String p && path instanceof String c && PATH.matcher(p).matches()
                    && PATH.matcher(c).matches()) {
                String peerDir = normal(p);
                String centralDir = normal(c);
                if (!peerDir.equals(p)) {
                    problems.add("backup.peerRepository.path: write it as " + peerDir + " (no '.', '//' or trailing"
                            + " '/')");
                } else if ((peerDir + "/").startsWith(centralDir + "/") || (centralDir + "/").startsWith(peerDir + "/")) {
                    problems.add("backup.peerRepository.path: must be apart from repository.path (not the same"
                            + " folder, nor one inside the other), got " + p + " and " + c);
                }
            }
            Integer port = peerMap.get("port") == null ? Integer.valueOf(PeerRepository.DEFAULT_PORT)
                    : integer(peerMap.get("port"), 1024, 65535, "backup.peerRepository.port", problems);
            if (peerPath instanceof String p && port != null) {
                peer = new PeerRepository(p, port);
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return new BackupSpec(full, diff, incr, keepFull, keepDiff, archiveTimeout, Duration.ofMinutes(retryMin),
                (String) path, restoreTest, peer);
    }

    /** The folder a valid path names: '.' components, repeated and trailing '/' removed. */
    private static String normal(String p) {
        String n = java.nio.file.Path.of(p).normalize().toString();
        return n.length() > 1 && n.endsWith("/") ? n.substring(0, n.length() - 1) : n;
    }

    private static void path(Object path, String field, List<String> problems) {
        if (path != null && (!(path instanceof String p) || !PATH.matcher(p).matches() || p.contains("..")
                || p.equals("/"))) {
            problems.add(field + ": an absolute path of letters, digits, '.', '_', '-' and '/',"
                    + " without '..', not '/', got " + Schedule.Parsing.shown(path));
        }
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
                problems.add(parent + "." + Schedule.Parsing.shown(k) + ": unknown field (known: " + String.join(", ", known.stream().sorted()
                        .toList()) + ")");
            }
        }
    }

    private static Integer integer(Object o, int min, int max, String field, List<String> problems) {
        if (o == null) {
            return null;
        }
        if (!(o instanceof Integer || o instanceof Long) || ((Number) o).longValue() < min
                || ((Number) o).longValue() > max) {
            problems.add(field + ": an integer from " + min + " to " + max + ", got " + Schedule.Parsing.shown(o));
            return null;
        }
        return ((Number) o).intValue();
    }
}
