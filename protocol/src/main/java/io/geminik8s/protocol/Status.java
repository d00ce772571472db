package io.geminik8s.protocol;

import java.util.Optional;

/**
 * Online/offline marker. The agent registers {@code online=false} as its retained Last Will; the hub applies it
 * only when {@code session} is not older than the node's last birth.
 */
public record Status(String v, String site, String node, Long session, Boolean online, Long ts, String reason)
        implements Message, NodeMessage {

    @Override
    public Optional<DecodeError> validate() {
        return Rules.of(v).id("site", site).id("node", node).min("session", session, 0).present("online", online)
                .min("ts", ts, 0).text("reason", reason, false).result();
    }
}
