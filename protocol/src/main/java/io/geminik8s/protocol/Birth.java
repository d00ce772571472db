package io.geminik8s.protocol;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Published (retained, QoS 1) on every (re)connect. {@code session} grows with every connection of a node (see
 * docs/protocol.md); the hub ignores a birth or death older than the last one it applied.
 */
public record Birth(
        String v,
        String site,
        String node,
        Long session,
        Long ts,
        String agentVersion,
        String hostname,
        Role role,
        Map<String, String> versions,
        List<String> capabilities,
        Map<String, String> labels,
        Long lastAppliedGeneration) implements Message, NodeMessage {

    @Override
    public Optional<DecodeError> validate() {
        return Rules.of(v).id("site", site).id("node", node).min("session", session, 0).min("ts", ts, 0)
                .text("agentVersion", agentVersion, true).text("hostname", hostname, false).present("role", role)
                .noNullEntries("versions", versions).noNullItems("capabilities", capabilities)
                .noNullEntries("labels", labels).min("lastAppliedGeneration", lastAppliedGeneration, 0).result();
    }
}
