-- Staged rollouts (docs/rollouts.md). The engine's decisions are persisted every tick in one transaction with the
-- bindings they change, so a hub restart resumes with no step lost or doubled; `version` is the compare-and-set
-- that keeps a second replica from writing over the driving one.
ALTER TABLE site_binding ADD COLUMN activate_not_before timestamptz;

CREATE TABLE rollout (
    id            bigserial   PRIMARY KEY,
    template      text        NOT NULL,
    to_revision   int         NOT NULL,
    selector      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    -- the request as accepted: strategy, window, prestage (the API echoes it)
    spec          jsonb       NOT NULL,
    phase         text        NOT NULL DEFAULT 'running',
    reason        text,
    open_wave     int         NOT NULL DEFAULT 0,
    approved_wave int         NOT NULL,
    gate_accepted int         NOT NULL DEFAULT -1,
    waves         int         NOT NULL,
    -- per wave, sites per state: maintained by the engine incrementally, written when it changes
    counts        jsonb       NOT NULL DEFAULT '[]'::jsonb,
    version       bigint      NOT NULL DEFAULT 0,
    created_by    text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (template, to_revision) REFERENCES template_revision (name, revision)
);
-- at most one unfinished rollout per template: two would fight over the same bindings
CREATE UNIQUE INDEX rollout_active_template_idx ON rollout (template) WHERE phase IN ('running', 'paused');

CREATE TABLE rollout_site (
    rollout_id        bigint      NOT NULL REFERENCES rollout (id),
    site_id           text        NOT NULL REFERENCES site (id),
    wave              int         NOT NULL,
    state             text        NOT NULL,
    previous_revision int         NOT NULL,
    -- the binding generation that carries the target revision to this site (set when it starts)
    target_generation bigint,
    started_at        bigint      NOT NULL DEFAULT -1,
    healthy_since     bigint      NOT NULL DEFAULT -1,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (rollout_id, site_id)
);
CREATE INDEX rollout_site_state_idx ON rollout_site (rollout_id, state, site_id);

CREATE TABLE rollout_audit (
    id         bigserial   PRIMARY KEY,
    rollout_id bigint      NOT NULL REFERENCES rollout (id),
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text        NOT NULL,
    action     text        NOT NULL,
    detail     text,
    -- operator commands (pause, resume, abort, approve) are carried out by the driving replica at its next tick
    applied_at timestamptz,
    outcome    text
);
CREATE INDEX rollout_audit_rollout_idx ON rollout_audit (rollout_id, id);
