-- A site rebuilt on fresh nodes after both were lost (issue 16, docs/backup.md): one row per `gk8s backup rebuild`.
-- 'waiting' is the operator's authorization, taken by the witness's `rebuild` in the transaction that grants the next
-- epoch (state 'restoring', the node and epoch recorded); the node's backup.rebuild-completed / -failed events end
-- it ('done' / 'failed'); a waiting one that no node took by expires_at is 'expired'. At most one waiting per site.
CREATE TABLE site_rebuild (
    id            text        PRIMARY KEY,
    site_id       text        NOT NULL,
    target        timestamptz,
    requested_by  text        NOT NULL,
    requested_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    state         text        NOT NULL,
    node_id       text,
    epoch         bigint,
    granted_at    timestamptz,
    message       text,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX site_rebuild_waiting_idx ON site_rebuild (site_id) WHERE state = 'waiting';
CREATE INDEX site_rebuild_site_idx ON site_rebuild (site_id, requested_at DESC);

-- the rebuilding node's outcome events, read when the site's rebuilds are listed
CREATE INDEX node_event_rebuild_idx ON node_event (site_id, node_id, received DESC)
    WHERE type IN ('backup.rebuild-completed', 'backup.rebuild-failed');
