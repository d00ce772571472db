package io.geminik8s.protocol;

import java.util.Map;
import java.util.Optional;

/**
 * Something that happened on a node (QoS 1). {@code seq} grows by one per event of a node, over restarts; the agent
 * journals the event before sending, so it may arrive twice, and the hub deduplicates by (site, node, seq).
 */
public record Event(
        String v,
        String site,
        String node,
        Long seq,
        Long ts,
        String type,
        Severity severity,
        String message,
        Map<String, String> attrs) implements Message, NodeMessage {

    @Override
    public Optional<DecodeError> validate() {
        return Rules.of(v).id("site", site).id("node", node).min("seq", seq, 1).min("ts", ts, 0)
                .text("type", type, true).check(type == null || type.matches("[a-z0-9][a-z0-9._-]{0,63}"), "type",
                        "must be a dotted lowercase name such as journal.overflow")
                .present("severity", severity).text("message", message, false).noNullEntries("attrs", attrs)
                .result();
    }
}
