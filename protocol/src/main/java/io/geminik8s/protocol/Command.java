package io.geminik8s.protocol;

import java.util.Map;
import java.util.Optional;

/** One-off instruction to one node (QoS 1, never retained). Past {@code expiresAt} it must not be executed. */
public record Command(
        String v,
        String id,
        String site,
        String node,
        String name,
        Map<String, String> args,
        Long issuedAt,
        Long expiresAt) implements Message, NodeMessage {

    @Override
    public Optional<DecodeError> validate() {
        return Rules.of(v).text("id", id, true).check(id == null || id.length() <= 128, "id", "at most 128 chars")
                .id("site", site).id("node", node).text("name", name, true).noNullEntries("args", args)
                .min("issuedAt", issuedAt, 0).min("expiresAt", expiresAt, 0)
                .check(issuedAt == null || expiresAt == null || expiresAt >= issuedAt, "expiresAt",
                        "must not be before issuedAt")
                .result();
    }

    public boolean expiredAt(long epochMillis) {
        return epochMillis > expiresAt;
    }
}
