package io.geminik8s.hub.noc;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** NOC view settings, prefix {@code gk8s.noc} (docs/noc.md). */
@ConfigMapping(prefix = "gk8s.noc")
public interface NocConfig {

    /** The shortest time between two updates the live stream sends one viewer (changes in between are merged). */
    @WithDefault("1s")
    Duration updateInterval();

    /** A keep-alive on an idle stream, so that the page notices a dead connection and reconnects. */
    @WithDefault("15s")
    Duration keepAlive();

    /** Certificates expiring within this are alerts. */
    @WithDefault("7d")
    Duration certificateWarning();
}
