package io.geminik8s.hub.backup;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Sites' backups as the hub tracks them, prefix {@code gk8s.backup} (docs/backup.md). */
@ConfigMapping(prefix = "gk8s.backup")
public interface BackupConfig {

    /**
     * A site whose agents set up backups ({@code backup.configured}) and whose newest good backup is older than this
     * (or that has none this long after the set-up) is stale: {@code gk8s_backups_stale}, {@code stale} in the API.
     */
    @WithDefault("26h")
    Duration staleAfter();

    /** How often {@code gk8s_backups_stale} is read from PostgreSQL. */
    @WithDefault("60s")
    Duration checkInterval();

    /** How long a {@code backup-run} command may wait at the broker and the node before it is answered expired. */
    @WithDefault("1h")
    Duration commandTtl();

    /**
     * How long a {@code backup-restore} or {@code standby-rebuild} command may wait at the broker and the node: a
     * restore that arrives late would throw away what the site wrote meanwhile, so this is short.
     */
    @WithDefault("5m")
    Duration restoreCommandTtl();

    /** A restore not finished this long after its request no longer counts as running (state {@code expired}). */
    @WithDefault("6h")
    Duration restoreTimeout();

    /**
     * A site whose writing node reports a completed WAL segment waiting longer than this for the repository (plus
     * the time since that report) counts in {@code gk8s_backups_archive_lagging}; reports older than a day are not
     * counted (a node that stopped writing stops reporting).
     */
    @WithDefault("5m")
    Duration archiveLagMax();

    /**
     * How long an operator's rebuild of a site whose nodes were both lost ({@code gk8s backup rebuild}) waits for a
     * fresh node to take it (the witness's {@code rebuild}); then {@code expired}, and nothing is granted.
     */
    @WithDefault("1h")
    Duration rebuildTtl();

    /**
     * A site with a good backup and no restore test passed within this age (none at all: its first good backup is
     * older) counts in {@code gk8s_backups_restore_test_old} (alert Gk8sRestoreTestOld), {@code restoreTest.old} in
     * the API: a weekly {@code spec.backup.restoreTest} and a day's slack.
     */
    @WithDefault("8d")
    Duration restoreTestMaxAge();
}
