-- Point-in-time restores of a site (issue 16, docs/backup.md): one row per `gk8s backup restore`, the primary's
-- backup-restore command then the standby's standby-rebuild. At most one running per site (the partial unique
-- index): a second request meets it and is refused (409) without racing the first.
CREATE TABLE site_restore (
    id            text        PRIMARY KEY,
    site_id       text        NOT NULL,
    primary_node  text        NOT NULL,
    standby_node  text,
    target        timestamptz,
    requested_by  text        NOT NULL,
    requested_at  timestamptz NOT NULL DEFAULT now(),
    state         text        NOT NULL,
    message       text,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX site_restore_running_idx ON site_restore (site_id) WHERE state IN ('restoring', 'rebuilding');
CREATE INDEX site_restore_site_idx ON site_restore (site_id, requested_at DESC);

-- WAL archiving as the writing node reports it (backup.archive, docs/backup.md): the newest report per site, for the
-- API's view and the archive-lag gauges over the fleet.
CREATE INDEX node_event_archive_idx ON node_event (site_id, ts DESC) WHERE type = 'backup.archive';

-- Restore tests (backup-verify): the newest per site, for the API's view.
CREATE INDEX node_event_restore_test_idx ON node_event (site_id, ts DESC)
    WHERE type IN ('backup.restore-tested', 'backup.restore-test-failed');
