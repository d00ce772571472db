package io.geminik8s.hub.artifact;

import io.smallrye.config.ConfigMapping;
import java.util.Optional;

/** {@code gk8s.artifacts.*}: the folder of signed artifacts the hub serves to nodes (docs/upgrades.md). */
@ConfigMapping(prefix = "gk8s.artifacts")
public interface ArtifactsConfig {

    /** Files served at {@code /artifacts/<file name>}; unset: the hub serves none. */
    Optional<String> dir();
}
