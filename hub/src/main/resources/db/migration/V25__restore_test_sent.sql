-- Scheduled restore tests (docs/backup.md, RestoreTestScheduler): the last backup-verify the hub sent on a site's
-- schedule, so that whichever replica ticks next knows it and does not send another while it is unanswered.
CREATE TABLE restore_test_sent (
    site_id    text        PRIMARY KEY REFERENCES site (id) ON DELETE CASCADE,
    sent_at    timestamptz NOT NULL,
    node_id    text        NOT NULL,
    command_id text        NOT NULL
);
