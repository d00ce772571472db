package io.geminik8s.hub.backup;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

/** What the backups API answers (docs/api.md, docs/backup.md). */
public final class BackupViews {

    private BackupViews() {
    }

    /** One backup event of a site's nodes: {@code backup.completed} or {@code backup.failed}, with its attributes. */
    public record BackupEvent(String node, OffsetDateTime at, String type, String message, Map<String, String> attrs) {
    }

    /**
     * A site's backups: the newest good one (with its label, type, bytes in the repository, newest archived WAL
     * segment), the newest failure, whether backups were set up and are stale, and the recent backup events.
     */
    public record SiteBackups(String site, boolean configured, boolean stale, OffsetDateTime staleSince,
                              BackupEvent lastGood, BackupEvent lastFailure, Archive archive,
                              BackupEvent lastRestoreTest, List<BackupEvent> recent, RestoreTests restoreTest,
                              PeerBackups peer) {
    }

    /**
     * The peer repository on the standby's disk ({@code spec.backup.peerRepository}): its newest good backup and
     * failure ({@code backup.peer-completed}, {@code backup.peer-failed}); null where no node ever reported one.
     */
    public record PeerBackups(BackupEvent lastGood, BackupEvent lastFailure) {
    }

    /**
     * Restore tests: the bound template's {@code spec.backup.restoreTest} ({@code schedule}, null when it has none:
     * on demand only), the newest passed one, and {@code old}: the site has a good backup and none passed within
     * {@code gk8s.backup.restore-test-max-age} (its first good backup is older, when none ever passed).
     */
    public record RestoreTests(String schedule, BackupEvent lastPassed, boolean old, OffsetDateTime oldSince) {
    }

    /**
     * WAL archiving from the writing node's newest {@code backup.archive} report: {@code lagSeconds} is the age of the
     * oldest completed segment not yet in the repository now (the reported age plus the report's age while one
     * waited; 0 when none did), {@code lagging} above {@code gk8s.backup.archive-lag-max}; {@code report} the event.
     */
    public record Archive(long lagSeconds, boolean lagging, BackupEvent report) {
    }

    /** The answer to a run-now request: the command sent, to which node. */
    public record RunRequested(String site, String node, String commandId, String type, OffsetDateTime expiresAt) {
    }

    /** The body of a run-now request; {@code type} full, diff or incr (default incr). */
    public record RunRequest(String type) {
    }
}
