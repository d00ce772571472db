-- Why a rollout's site is not proven yet, or why it failed (the health proof, docs/rollouts.md).
ALTER TABLE rollout_site ADD COLUMN reason text;
