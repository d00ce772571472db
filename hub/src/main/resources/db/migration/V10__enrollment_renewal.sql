-- Renewal (enrollment/RenewResource): a certificate issued to a node that proved it holds a valid earlier one
-- records that one's serial; enrolled certificates have none.
ALTER TABLE enrollment ADD COLUMN renewed_from text;
CREATE INDEX enrollment_renewed_from_idx ON enrollment (renewed_from) WHERE renewed_from IS NOT NULL;
