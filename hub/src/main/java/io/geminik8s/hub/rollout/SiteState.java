package io.geminik8s.hub.rollout;

/**
 * A site's progress in a rollout.
 * <pre>
 * PENDING ──its wave starts──▶ (offline or outside its window) DEFERRED ──back / window opens──▶ IN_PROGRESS
 *    └──────────────────────────────────────────────────────────────────────────────────────────▶ IN_PROGRESS
 * IN_PROGRESS ──reports the new revision──▶ VERIFYING ──healthy for the soak──▶ SUCCEEDED
 *      │                                        └──unhealthy──▶ FAILED
 *      └──no proof within the site timeout──▶ TIMED_OUT (counts as failed)
 * any touched site ──abort──▶ ROLLED_BACK
 * </pre>
 * An offline site that never started is deferred, never failed; a site that started and went silent times out.
 */
public enum SiteState {
    PENDING, DEFERRED, IN_PROGRESS, VERIFYING, SUCCEEDED, FAILED, TIMED_OUT, ROLLED_BACK;

    public boolean finished() {
        return this == SUCCEEDED || this == FAILED || this == TIMED_OUT || this == ROLLED_BACK;
    }

    public boolean failed() {
        return this == FAILED || this == TIMED_OUT;
    }

    /** Counts against maxInFlight. */
    public boolean inFlight() {
        return this == IN_PROGRESS || this == VERIFYING;
    }
}
