package io.geminik8s.hub.backup;

import java.time.OffsetDateTime;

/** What the restores API answers (docs/api.md, docs/backup.md). */
public final class RestoreViews {

    private RestoreViews() {
    }

    /**
     * One restore of a site: {@code state} restoring (the primary's backup-restore sent), rebuilding (restored; the
     * standby's standby-rebuild sent), done, failed or expired; {@code to} null for the last archived WAL.
     */
    public record Restore(String id, String site, String primary, String standby, OffsetDateTime to,
                          String requestedBy, OffsetDateTime requestedAt, String state, String message,
                          OffsetDateTime updatedAt) {
    }
}
