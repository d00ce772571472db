-- An optional approval step (docs/security.md#enrollment): a claim made with approval enrolls a node only after an
-- admin approved that node's request; until then each attempt is recorded (who, from where) and answered 202.
ALTER TABLE site_claim ADD COLUMN needs_approval boolean NOT NULL DEFAULT false;
CREATE TABLE enrollment_request (
    claim_sha256 text   NOT NULL REFERENCES site_claim (token_sha256),
    node_id      text   NOT NULL,
    site_id      text   NOT NULL,
    address      text   NOT NULL,
    requested_ms bigint NOT NULL,
    approved_ms  bigint,
    approved_by  text,
    PRIMARY KEY (claim_sha256, node_id)
);
CREATE INDEX enrollment_request_site_idx ON enrollment_request (site_id);
