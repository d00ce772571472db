-- The site's database secret: both nodes derive their PostgreSQL roles' SCRAM passwords from it (handed out at
-- enrollment with the peer-link key). Pairs saved before this have none until their next claim.
ALTER TABLE site_pair ADD COLUMN pg_secret text;  -- 32 random bytes, hex
