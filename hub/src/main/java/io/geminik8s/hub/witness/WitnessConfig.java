package io.geminik8s.hub.witness;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Witness timing, prefix {@code gk8s.witness}; docs/ha.md explains the budget. Agents must use the same lease. */
@ConfigMapping(prefix = "gk8s.witness")
public interface WitnessConfig {

    /** A holder's lease. */
    @WithDefault("3s")
    Duration lease();

    /** Added before a promotion: the old holder's fencing time, clock drift and loop jitter. */
    @WithDefault("1500ms")
    Duration margin();

    /** Compare-and-set attempts before a request is answered with a retry. */
    @WithDefault("5")
    int casAttempts();

    default WitnessRules.Timing timing() {
        return new WitnessRules.Timing(lease().toMillis(), margin().toMillis());
    }
}
