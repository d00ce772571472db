package io.geminik8s.hub.rollout;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Rollout settings, prefix {@code gk8s.rollout}. */
@ConfigMapping(prefix = "gk8s.rollout")
public interface RolloutConfig {

    /**
     * How often the driving replica evaluates every running rollout (observe, decide, persist). Verification and
     * timeouts are as fine as this.
     */
    @WithDefault("1s")
    Duration interval();

    /**
     * After a tick that changed something (a site started or proven, a wave opened), the next tick comes this soon —
     * or after as long as that tick took, if longer, so that ticks never take more than half the driver's time —
     * instead of at the next interval: a wave opens as soon as the previous one is proven.
     */
    @WithDefault("50ms")
    Duration followUp();

    /**
     * A certificate rotation sends a node's renew command again when this long passed since the latest send without
     * a renewal, while the node is online (the command lost with a crash, or with a session the broker dropped).
     */
    @WithDefault("60s")
    Duration rotationResend();
}
