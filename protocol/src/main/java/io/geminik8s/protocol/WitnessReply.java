package io.geminik8s.protocol;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;
import java.util.Optional;

/**
 * The witness's answer to a {@link WitnessRequest}, matched by {@code id}. {@code epoch} and {@code holder} are the
 * site's current ones after the decision. A granted lease lasts {@code leaseMs}, which the node counts from the
 * moment it *sent* the request on its monotonic clock (never from receipt: that would stretch the lease by the
 * network delay). {@code rebuildTo} (a granted {@code rebuild} only, since 1.x minor; absent otherwise and from older
 * hubs): the moment the operator's rebuild restores to, an ISO-8601 instant; absent: the last archived WAL.
 */
public record WitnessReply(String v, String id, String site, String node, Long ts, Outcome outcome, Long epoch,
                           String holder, Long leaseMs, Long retryAfterMs, String reason, String rebuildTo)
        implements Message, NodeMessage {

    public WitnessReply(String v, String id, String site, String node, Long ts, Outcome outcome, Long epoch,
                        String holder, Long leaseMs, Long retryAfterMs, String reason) {
        this(v, id, site, node, ts, outcome, epoch, holder, leaseMs, retryAfterMs, reason, null);
    }

    public enum Outcome {
        GRANTED, REFUSED,
        /** Not yet: the old holder's lease (plus the safety margin) has not lapsed; ask again after retryAfterMs. */
        WAIT;

        @JsonValue
        public String json() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    @Override
    public Optional<DecodeError> validate() {
        return Rules.of(v).text("id", id, true).id("site", site).id("node", node).min("ts", ts, 0)
                .present("outcome", outcome).min("epoch", epoch, 0)
                .check(holder == null || Rules.ID.matcher(holder).matches(), "holder", "must be a node id")
                .range("leaseMs", leaseMs, 0, Long.MAX_VALUE).range("retryAfterMs", retryAfterMs, 0, Long.MAX_VALUE)
                .check(outcome != Outcome.WAIT || retryAfterMs != null, "retryAfterMs", "required with wait")
                .text("reason", reason, false).text("rebuildTo", rebuildTo, false).result();
    }
}
