package io.geminik8s.agent.ha;

import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * The heartbeats this node sent recently, by sequence number, with their send times on this node's monotonic
 * clock: an ack extends the lease only if it answers one of them, and then from that send time, never from a
 * time the peer claims. Each heartbeat is answered at most once; those older than a lease are forgotten (an ack
 * for them could not extend the lease anyway). Pure; used on the supervisor's thread.
 */
final class SentHeartbeats {

    private final long keepMs;
    private final TreeMap<Long, Long> sentAtBySeq = new TreeMap<>();
    private final java.util.concurrent.atomic.AtomicLong unmatched = new java.util.concurrent.atomic.AtomicLong();

    SentHeartbeats(long keepMs) {
        this.keepMs = keepMs;
    }

    void sent(long seq, long at) {
        sentAtBySeq.put(seq, at);
        sentAtBySeq.values().removeIf(t -> t < at - keepMs);
    }

    /** The send time of heartbeat {@code seq}, if this node sent it recently and it was not answered yet. */
    OptionalLong answer(long seq) {
        Long at = sentAtBySeq.remove(seq);
        return at == null ? OptionalLong.empty() : OptionalLong.of(at);
    }

    /**
     * The send time of the heartbeat {@code ack} answers: one of this link's boot ({@code boot}), sent recently, not
     * answered yet, and quoted with its true send time; else empty, and the ack is counted as unmatched.
     */
    OptionalLong answer(long boot, PeerLink.Packet ack) {
        OptionalLong at = ack.answersBoot() == boot ? answer(ack.answersSeq()) : OptionalLong.empty();
        if (at.isEmpty() || at.getAsLong() != ack.sentAt()) {
            unmatched.incrementAndGet();
            return OptionalLong.empty();
        }
        return at;
    }

    /** Acks that answered no heartbeat sent here (thread-safe). */
    long unmatched() {
        return unmatched.get();
    }
}
