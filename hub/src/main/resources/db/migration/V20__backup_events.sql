-- Backups (issue 16, docs/backup.md): the hub reads a site's backup state from its nodes' backup events. A partial
-- index keeps those reads (the API's per-site view, the stale gauge over the fleet) off the rest of node_event.
CREATE INDEX node_event_backup_idx ON node_event (site_id, ts DESC)
    WHERE type IN ('backup.configured', 'backup.completed', 'backup.failed');
