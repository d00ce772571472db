-- Site template revisions (fleet-templates/README.md): immutable; a changed template is a new row.
CREATE TABLE template_revision (
    name       text        NOT NULL,
    revision   int         NOT NULL CHECK (revision >= 1),
    -- 'folder:<file>' (GitOps: the hub scans the templates folder) or 'api'
    source     text        NOT NULL,
    sha256     text        NOT NULL,
    yaml       text        NOT NULL,
    spec       jsonb       NOT NULL,
    created_by text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, revision)
);
