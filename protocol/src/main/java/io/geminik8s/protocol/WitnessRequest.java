package io.geminik8s.protocol;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;
import java.util.Optional;

/**
 * A node asks the hub, as the site's witness, about the lease of epoch {@code epoch} (docs/ha.md). The reply comes
 * on {@code gk8s/v1/down/{site}/{node}/witness} with the same {@code id} (and, for MQTT 5 peers, as the response
 * topic with the id as correlation data). Requests are idempotent per (node, op, epoch).
 *
 * <p>{@code sinceLastAckMs} (promote only): how long ago, on the standby's monotonic clock, it sent its last
 * "following epoch N" ack to the holder. The holder's peer-renewed lease cannot outlast that ack by more than one
 * lease, which is what lets the hub decide without knowing the peer traffic.
 */
public record WitnessRequest(String v, String id, String site, String node, Long ts, Op op, Long epoch, String peer,
                             Long sinceLastAckMs) implements Message, NodeMessage {

    public enum Op {
        /** The holder of {@code epoch} cannot hear its peer and renews its lease with the hub instead. */
        RENEW,
        /** The holder reports its standby {@code peer} lost: not sync-eligible any more (before it is dropped). */
        PEER_LOST,
        /** The holder reports its standby {@code peer} streaming synchronously again: sync-eligible. */
        PEER_OK,
        /** A standby asks to become holder of {@code epoch} (= current + 1). */
        PROMOTE,
        /**
         * A standby took {@code epoch} (= current + 1) on its operator's audited force-promote, accepting data loss:
         * the hub records it unless the holder is demonstrably alive (its hub lease still runs).
         */
        FORCE,
        /**
         * A planned switchover (1.3): the holder of {@code epoch} has fenced itself (VIP released, PostgreSQL stopped)
         * and gives the epoch up, so that its sync-eligible standby is granted {@code epoch + 1} without waiting for
         * the lease to lapse. Sent only after the fence is verified; the holder then rejoins as a standby.
         */
        RELEASE,
        /**
         * Both nodes of the site were lost and an operator authorized a rebuild at the hub ({@code gk8s backup
         * rebuild}): a node of the site, bootstrapping with an empty disk as primary, asks for {@code epoch} (=
         * current + 1) to restore the site from its backup repository. Granted once per authorization, with the
         * peer not sync-eligible; refused otherwise. Older hubs refuse the unknown op at decode.
         */
        REBUILD;

        @JsonValue
        public String json() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    @Override
    public Optional<DecodeError> validate() {
        return Rules.of(v).text("id", id, true).check(id == null || id.length() <= 128, "id", "at most 128 chars")
                .id("site", site).id("node", node).min("ts", ts, 0).present("op", op).min("epoch", epoch, 1)
                .check(op == null || (op != Op.PEER_LOST && op != Op.PEER_OK) || peer != null, "peer",
                        "required for peer-lost and peer-ok")
                .check(peer == null || Rules.ID.matcher(peer).matches(), "peer", "must be a node id")
                .check(op != Op.PROMOTE || sinceLastAckMs != null, "sinceLastAckMs", "required for promote")
                .range("sinceLastAckMs", sinceLastAckMs, 0, Long.MAX_VALUE)
                .result();
    }
}
