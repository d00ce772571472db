-- The witness's durable record per site (docs/ha.md). Times are ms on PostgreSQL's clock, shared by hub replicas.
CREATE TABLE site_lease (
    site_id              text    PRIMARY KEY,
    epoch                bigint  NOT NULL DEFAULT 0 CHECK (epoch >= 0),
    holder               text,
    lease_expires_at_ms  bigint  NOT NULL DEFAULT 0,
    standby              text,
    standby_eligible     boolean NOT NULL DEFAULT false,
    holder_renewed_at_ms bigint  NOT NULL DEFAULT 0,
    version              bigint  NOT NULL DEFAULT 0,
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- One row per epoch ever granted: the primary key makes a second grant of the same epoch impossible, whatever
-- the hub replicas do.
CREATE TABLE site_epoch_grant (
    site_id    text   NOT NULL,
    epoch      bigint NOT NULL,
    holder     text   NOT NULL,
    granted_ms bigint NOT NULL,
    reason     text,
    PRIMARY KEY (site_id, epoch)
);
