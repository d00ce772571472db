package io.geminik8s.protocol;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;
import java.util.Optional;

/** The node's answer to a {@link Command}, matched by id (QoS 1). */
public record CommandResult(String v, String id, String site, String node, Long ts, Outcome outcome, String message)
        implements Message, NodeMessage {

    public enum Outcome {
        OK, FAILED, EXPIRED, UNSUPPORTED;

        @JsonValue
        public String json() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    @Override
    public Optional<DecodeError> validate() {
        return Rules.of(v).text("id", id, true).id("site", site).id("node", node).min("ts", ts, 0)
                .present("outcome", outcome).text("message", message, false).result();
    }
}
