-- Revoking any certificate the fleet intermediate issued (enrollment/CertificateRevocationResource,
-- docs/security.md#revocation): certificates that are not nodes' — the hub's own client certificates, recorded by each
-- hub at start from gk8s.mqtt.tls-cert, and any other an admin revoked by handing the hub the certificate itself.
-- Revoked ones are listed in the CRL and refused by the embedded broker, like revoked node certificates.
CREATE TABLE pki_certificate (
    serial         text   PRIMARY KEY,   -- lower-case hex without leading zeros, as enrollment.serial
    subject        text   NOT NULL,
    not_after_ms   bigint NOT NULL,
    recorded_ms    bigint NOT NULL,
    revoked_ms     bigint,
    revoked_reason text,
    revoked_by     text
);
-- why and by whom a node certificate was revoked through POST /api/v1/pki/revocations (null through the older
-- POST /api/v1/enrollments/{serial}/revoke, which takes no reason)
ALTER TABLE enrollment ADD COLUMN revoked_reason text;
ALTER TABLE enrollment ADD COLUMN revoked_by text;
