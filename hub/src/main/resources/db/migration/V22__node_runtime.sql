-- Issue 14: a node's versions are its birth's with the newest health sample's runtime.versions merged over them
-- (read from the components: the K3s version after an upgrade); the birth's part is kept to merge again.
ALTER TABLE node ADD COLUMN birth_versions jsonb NOT NULL DEFAULT '{}'::jsonb;
UPDATE node SET birth_versions = versions;
