package io.geminik8s.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/**
 * What a site should look like, published retained by the hub. {@code generation} only grows; an agent applies a
 * generation at most once and ignores older ones. {@code spec} is defined by fleet templates (later issues).
 */
public record DesiredState(String v, String site, Long generation, Long issuedAt, JsonNode spec) implements Message {

    @Override
    public Optional<DecodeError> validate() {
        return Rules.of(v).id("site", site).min("generation", generation, 1).min("issuedAt", issuedAt, 0)
                .present("spec", spec).check(spec == null || spec.isObject(), "spec", "must be a JSON object")
                .result();
    }
}
