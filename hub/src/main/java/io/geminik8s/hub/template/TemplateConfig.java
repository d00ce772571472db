package io.geminik8s.hub.template;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** Template settings, prefix {@code gk8s.templates}. */
@ConfigMapping(prefix = "gk8s.templates")
public interface TemplateConfig {

    /** A folder of template YAML files scanned for new revisions (GitOps); none: templates come only by API. */
    Optional<String> dir();

    /** How often the folder is scanned. */
    @WithDefault("30s")
    Duration scanInterval();
}
