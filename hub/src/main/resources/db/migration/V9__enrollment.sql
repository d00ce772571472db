-- Enrollment (enrollment/, docs/security.md#enrollment): one-time claim tokens, known only by their SHA-256, and
-- the node certificates issued. A claim enrolls the two nodes of its site, each once.
CREATE TABLE site_claim (
    token_sha256 text   PRIMARY KEY,
    site_id      text   NOT NULL,
    created_by   text   NOT NULL,
    created_ms   bigint NOT NULL,
    expires_ms   bigint NOT NULL,
    uses         int    NOT NULL DEFAULT 0 CHECK (uses BETWEEN 0 AND 2)
);
CREATE INDEX site_claim_site_idx ON site_claim (site_id);

CREATE TABLE enrollment (
    serial        text   PRIMARY KEY,   -- the certificate's serial number, hex
    site_id       text   NOT NULL,
    node_id       text   NOT NULL,
    claim_sha256  text   REFERENCES site_claim (token_sha256),
    not_before_ms bigint NOT NULL,
    not_after_ms  bigint NOT NULL,
    enrolled_ms   bigint NOT NULL,
    revoked_ms    bigint
);
-- a node uses a claim once: a second attempt (or two at once) fails here and its transaction rolls back
CREATE UNIQUE INDEX enrollment_claim_node_idx ON enrollment (claim_sha256, node_id);
CREATE INDEX enrollment_site_node_idx ON enrollment (site_id, node_id);
