package io.geminik8s.agent.backup;

import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.protocol.Severity;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * WAL archiving as the writing node's PostgreSQL sees it, reported to the hub as {@code backup.archive} events
 * (docs/backup.md). The lag is the age of the oldest completed WAL segment not yet in the repository (its
 * {@code .ready} file in {@code pg_wal/archive_status}, from {@code pg_ls_archive_statusdir()}), 0 when none waits: an
 * idle database with nothing to archive is not lagging, unlike "time since the last archived segment". With it:
 * {@code pg_stat_archiver}'s failed count and last archived and failed times. Reported when a segment starts or stops
 * waiting longer than {@link #LAGGING}, when the failed count grows, and at least every {@link #EVERY}, so the hub
 * sees a fresh figure (it adds the time since the report to a lag that was growing).
 */
final class ArchiveWatch {

    static final Duration LAGGING = Duration.ofSeconds(60);
    static final Duration EVERY = Duration.ofMinutes(15);
    private static final String QUERY = """
            SELECT (SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready') AS ready,
                   (SELECT coalesce(floor(extract(epoch FROM now() - min(modification))), 0)::bigint
                      FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready') AS lag,
                   failed_count, last_archived_time, last_archived_wal, last_failed_time
            FROM pg_stat_archiver""";

    /** One reading. */
    record Status(long ready, long lagSeconds, long failedCount, Instant lastArchivedAt, String lastArchivedWal,
                  Instant lastFailedAt) {
        boolean lagging() {
            return lagSeconds >= LAGGING.toSeconds();
        }
    }

    private Instant lastReport;
    private Boolean lastLagging;
    private long lastFailed = -1;

    static Status read(PgControl pg) {
        try (Connection c = pg.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(QUERY)) {
            rs.next();
            return new Status(rs.getLong("ready"), rs.getLong("lag"), rs.getLong("failed_count"),
                    instant(rs, "last_archived_time"), rs.getString("last_archived_wal"),
                    instant(rs, "last_failed_time"));
        } catch (SQLException e) {
            throw new IllegalStateException(pg.name() + ": pg_stat_archiver: " + e.getMessage(), e);
        }
    }

    /** The event to journal for {@code s} at {@code now}, if one is due. */
    synchronized Optional<Map.Entry<Severity, Map<String, String>>> report(Status s, Instant now) {
        boolean due = lastReport == null || !now.isBefore(lastReport.plus(EVERY))
                || lastLagging == null || lastLagging != s.lagging() || s.failedCount() > lastFailed;
        if (!due) {
            return Optional.empty();
        }
        Severity severity = s.lagging() || (lastFailed >= 0 && s.failedCount() > lastFailed) ? Severity.WARNING
                : Severity.INFO;
        lastReport = now;
        lastLagging = s.lagging();
        lastFailed = s.failedCount();
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("lagSeconds", Long.toString(s.lagSeconds()));
        attrs.put("ready", Long.toString(s.ready()));
        attrs.put("failedCount", Long.toString(s.failedCount()));
        attrs.put("lastArchivedAt", String.valueOf(s.lastArchivedAt()));
        attrs.put("lastArchivedWal", String.valueOf(s.lastArchivedWal()));
        attrs.put("lastFailedAt", String.valueOf(s.lastFailedAt()));
        return Optional.of(Map.entry(severity, attrs));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        java.sql.Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }
}
