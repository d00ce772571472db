-- A holder that fenced itself and gave its epoch up for a planned switchover (witness op release): its standby is
-- granted the next epoch at once instead of after the lease and the margin.
ALTER TABLE site_lease ADD COLUMN released boolean NOT NULL DEFAULT false;
