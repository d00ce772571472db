-- Which template revision each site runs (issue 4): bound by labels, pinned to a revision; the desired state
-- (revision + overrides) is published retained with a generation that only grows.
CREATE TABLE site_binding (
    site_id              text        PRIMARY KEY REFERENCES site (id),
    template             text        NOT NULL,
    revision             int         NOT NULL,
    overrides            jsonb       NOT NULL DEFAULT '{}'::jsonb,
    generation           bigint      NOT NULL DEFAULT 1,
    published_generation bigint      NOT NULL DEFAULT 0,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (template, revision) REFERENCES template_revision (name, revision)
);
CREATE INDEX site_binding_unpublished_idx ON site_binding (site_id) WHERE generation > published_generation;
