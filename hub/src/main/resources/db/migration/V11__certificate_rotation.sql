-- Certificate rotation as a rollout kind (docs/rollouts.md#certificate-rotation). A rotation rollout has no template
-- revision: the rollout row keeps its waves, counts, phase and audit; each started site has one row per node here,
-- in the order the nodes are rotated (standby first), with the serial the node is to renew from.
ALTER TABLE rollout ADD COLUMN kind text NOT NULL DEFAULT 'template';
ALTER TABLE rollout ALTER COLUMN template DROP NOT NULL, ALTER COLUMN to_revision DROP NOT NULL;
ALTER TABLE rollout ADD CONSTRAINT rollout_kind_target CHECK (
    (kind = 'template' AND template IS NOT NULL AND to_revision IS NOT NULL)
    OR (kind = 'certificate-rotation' AND template IS NULL AND to_revision IS NULL));
-- at most one unfinished rotation: two would command the same nodes
CREATE UNIQUE INDEX rollout_active_rotation_idx ON rollout (kind)
    WHERE kind = 'certificate-rotation' AND phase IN ('running', 'paused');

CREATE TABLE rotation_node (
    rollout_id   bigint NOT NULL REFERENCES rollout (id),
    site_id      text   NOT NULL,
    node_id      text   NOT NULL,
    -- 0 is rotated first; fixed when the site starts, from the PostgreSQL role the node reported then
    ord          int    NOT NULL,
    role         text   NOT NULL,
    from_serial  text   NOT NULL,
    -- the node's connection session when commanded: a later one is the reconnect with the new certificate
    session      bigint NOT NULL DEFAULT 0,
    command_id   text,
    commanded_ms bigint NOT NULL DEFAULT -1,
    to_serial    text,
    done_ms      bigint NOT NULL DEFAULT -1,
    -- the node's CommandResult: ok | failed | expired | unsupported, and its message
    outcome      text,
    message      text,
    PRIMARY KEY (rollout_id, site_id, node_id)
);
CREATE UNIQUE INDEX rotation_node_command_idx ON rotation_node (command_id) WHERE command_id IS NOT NULL;
