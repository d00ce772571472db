package io.geminik8s.hub.desired;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Desired-state settings, prefix {@code gk8s.desired}. */
@ConfigMapping(prefix = "gk8s.desired")
public interface DesiredConfig {

    /** How often unbound sites are bound and new generations published. */
    @WithDefault("1s")
    Duration interval();

    /** At most this many desired states are published per interval. */
    @WithDefault("2000")
    int batch();

    /**
     * The largest desired-state message (bytes, encoded) the hub publishes or the API accepts: below the broker's
     * packet limit (the embedded broker's is 131,072), or the broker closes the publishing connection.
     */
    @WithDefault("120000")
    int maxBytes();
}
