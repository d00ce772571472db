package io.geminik8s.hub;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Typed hub settings, prefix {@code gk8s.hub}. Every default is listed here and in docs/operations.md. */
@ConfigMapping(prefix = "gk8s.hub")
public interface HubConfig {

    /**
     * Unique per hub replica and the same across its restarts (e.g. a StatefulSet pod's name, never a Deployment's):
     * names the replica's persistent MQTT session, which holds what nodes sent while it was away.
     */
    @WithDefault("1")
    String instance();

    /** How often buffered presence and events are written to PostgreSQL in one batch. */
    @WithDefault("250ms")
    Duration flushInterval();

    /** A node that sent nothing live for this long is marked offline (covers a lost Last Will). */
    @WithDefault("90s")
    Duration heartbeatTimeout();

    /**
     * An "offline" status (a Last Will) counts only when the node sent nothing live for this long after it: a
     * restarted Mosquitto publishes every client's will at once (ignoring its Will Delay), and the agents' births
     * on reconnect cancel them within this grace. 0: a will counts at once.
     */
    @WithDefault("15s")
    Duration willGrace();

    /** How often the heartbeat timeout is checked and fleet gauges are refreshed. */
    @WithDefault("1s")
    Duration sweepInterval();

    /** Upper bound for one database round trip of the write path or an API query. */
    @WithDefault("10s")
    Duration dbTimeout();

    /** Payloads above this size are refused (counted as too_large). */
    @WithDefault("65536")
    int maxPayloadBytes();

    /** At most this many decode errors are logged per minute; all are counted. */
    @WithDefault("20")
    int decodeErrorLogsPerMinute();
}
