-- Hub replicas and the last time each one's ingest canary went broker -> hub -> PostgreSQL (ingest.Canary).
CREATE TABLE hub_replica (
    instance  text PRIMARY KEY,
    canary_at timestamptz NOT NULL
);
