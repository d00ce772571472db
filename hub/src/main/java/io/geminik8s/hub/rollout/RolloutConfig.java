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
}
