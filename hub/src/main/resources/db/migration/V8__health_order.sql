-- The order key of the node's stored health sample (protocol 1.2: connection session, sample number): a sample is
-- stored only if it is not older than this one, whichever hub replica wrote which first. Null: an agent before 1.2.
ALTER TABLE node ADD COLUMN health_session bigint, ADD COLUMN health_sample bigint;
