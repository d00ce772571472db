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
     * A certificate rotation sends a node's renew command again when this long passed since the latest send without
     * a renewal, while the node is online (the command lost with a crash, or with a session the broker dropped).
     */
    @WithDefault("60s")
    Duration rotationResend();
}
