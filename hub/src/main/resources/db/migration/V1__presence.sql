-- Fleet presence: sites, their nodes, and node events. Written in batches by presence.PresenceWriter.

CREATE TABLE site (
    id            text PRIMARY KEY,
    -- 'pending': first seen through MQTT, not (yet) enrolled; enrollment comes in a later issue
    registration  text        NOT NULL DEFAULT 'pending',
    labels        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    status        text        NOT NULL DEFAULT 'offline',
    status_reason text,
    first_seen    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX site_status_idx ON site (status, id);
CREATE INDEX site_labels_idx ON site USING gin (labels jsonb_path_ops);

CREATE TABLE node (
    site_id        text        NOT NULL REFERENCES site (id),
    node_id        text        NOT NULL,
    -- connection session of the last birth/status applied; older births and deaths are ignored
    session        bigint      NOT NULL DEFAULT 0,
    online         boolean     NOT NULL DEFAULT false,
    role           text        NOT NULL DEFAULT 'unknown',
    replication_ok boolean,
    agent_version  text,
    hostname       text,
    versions       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    last_applied_generation bigint,
    health         jsonb,
    health_at      timestamptz,
    last_seen      timestamptz,
    offline_reason text,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, node_id)
);
CREATE INDEX node_online_seen_idx ON node (last_seen) WHERE online;

CREATE TABLE node_event (
    site_id   text        NOT NULL,
    node_id   text        NOT NULL,
    seq       bigint      NOT NULL,
    ts        timestamptz NOT NULL,
    type      text        NOT NULL,
    severity  text        NOT NULL,
    message   text,
    attrs     jsonb       NOT NULL DEFAULT '{}'::jsonb,
    received  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, node_id, seq)
);
CREATE INDEX node_event_site_ts_idx ON node_event (site_id, ts DESC);
