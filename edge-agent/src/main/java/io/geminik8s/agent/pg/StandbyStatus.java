package io.geminik8s.agent.pg;

/**
 * A standby as its primary's PostgreSQL sees it: whether it streams (pg_stat_replication, state 'streaming'),
 * whether it is in synchronous_standby_names ({@code named}), and whether it streams with sync_state 'sync'.
 * {@code known} is false when the server did not answer the question (nothing can be concluded).
 */
public record StandbyStatus(boolean known, boolean streaming, boolean named, boolean sync) {

    public static final StandbyStatus UNSURE = new StandbyStatus(false, false, false, false);
}
