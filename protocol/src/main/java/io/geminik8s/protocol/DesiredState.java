package io.geminik8s.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/**
 * What a site should look like, published retained by the hub. {@code generation} only grows; an agent applies a
 * generation at most once and ignores older ones. {@code spec} is defined by fleet templates.
 * {@code activateNotBefore} (1.1, epoch ms, optional): the agent may stage downloads now but applies the
 * generation only from then on (the site's maintenance window opens).
 */
public record DesiredState(String v, String site, Long generation, Long issuedAt, JsonNode spec,
                           Long activateNotBefore) implements Message {

    @Override
    public Optional<DecodeError> validate() {
        return Rules.of(v).id("site", site).min("generation", generation, 1).min("issuedAt", issuedAt, 0)
                .range("activateNotBefore", activateNotBefore, 0, Long.MAX_VALUE)
                .present("spec", spec).check(spec == null || spec.isObject(), "spec", "must be a JSON object")
                .result();
    }
}
