-- Hardware identity at enrollment (enrollment/HardwareStore, docs/security.md#hardware-identity): per node of a site
-- the hardware identity (e.g. the DMI product UUID, normalised) its enrollments and renewals must present. Pinned by
-- an admin with a claim, or recorded by the node's first enrollment or renewal that presented one (trust on first
-- use). Replaced only by a new pin, removed only by an admin (DELETE /api/v1/enrollments/hardware/{site}/{node}).
CREATE TABLE node_hardware (
    site_id     text    NOT NULL,
    node_id     text    NOT NULL,
    hardware_id text    NOT NULL,
    pinned      boolean NOT NULL,   -- true: from a claim; false: recorded at first use
    recorded_ms bigint  NOT NULL,
    PRIMARY KEY (site_id, node_id)
);
-- the hardware identity a certificate was requested from (null: none presented)
ALTER TABLE enrollment ADD COLUMN hardware_id text;
