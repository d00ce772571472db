package io.geminik8s.hub.presence;

import io.geminik8s.protocol.Birth;
import io.geminik8s.protocol.Event;
import io.geminik8s.protocol.Health;
import io.geminik8s.protocol.Message;
import io.geminik8s.protocol.NodeMessage;
import io.geminik8s.protocol.Status;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Coalesces ingest in memory between flushes: per node only the merged {@link NodeDelta}, so a node that sends
 * ten health samples in an interval costs one row write. Events are kept in full (each is a record). Each message's
 * acknowledgement travels with the batch its effect is in, and is sent only after that batch committed: the broker
 * keeps the message until then, and its Receive Maximum bounds how many wait here.
 */
@ApplicationScoped
public class PresenceBuffer {

    /** A message's acknowledgement and when it arrived (for the age of the oldest unacknowledged message). */
    record Pending(Runnable ack, long receivedNanos) {
    }

    /** One flush worth of work; {@code canaries}: the hub's own canaries, committed with it. */
    record Batch(List<NodeDelta> nodes, List<Event> events, List<Pending> acks, List<Long> canaries) {
        boolean isEmpty() {
            return nodes.isEmpty() && events.isEmpty() && acks.isEmpty() && canaries.isEmpty();
        }
    }

    private final DeferredWills wills = new DeferredWills();
    private final boolean deferWills;
    private Map<String, NodeDelta> nodes = new HashMap<>();
    private List<Event> events = new ArrayList<>();
    private List<Pending> acks = new ArrayList<>();
    private List<Long> canaries = new ArrayList<>();

    public PresenceBuffer(io.geminik8s.hub.HubConfig config) {
        this.deferWills = !config.willGrace().isZero();
    }

    /** Offline statuses held back (DeferredWills). */
    public int willsHeld() {
        return wills.size();
    }

    /** Nothing waits to be written. */
    public synchronized boolean isEmpty() {
        return nodes.isEmpty() && events.isEmpty() && acks.isEmpty() && canaries.isEmpty();
    }

    /** Messages received and not yet handed to a flush. */
    public synchronized int waiting() {
        return acks.size();
    }

    /** Arrival time of the oldest message not yet handed to a flush, or -1. */
    public synchronized long oldestNanos() {
        return acks.isEmpty() ? -1 : acks.get(0).receivedNanos();
    }

    /** Buffers a node's message; {@code ack} runs once its effect is committed. */
    public synchronized void accept(Message m, boolean retained, long now, Runnable ack) {
        acks.add(new Pending(ack, System.nanoTime()));
        if (!(m instanceof NodeMessage nm)) {
            return;
        }
        String key = m.site() + "/" + nm.node();
        if (m instanceof Status s && !s.online() && deferWills && (retained || "last-will".equals(s.reason()))) {
            wills.hold(key, s, now); // counts after the grace unless the node is heard from (DeferredWills)
            return;
        }
        if (!retained) {
            wills.heard(key, m instanceof Birth b ? b.session() : m instanceof Status s ? s.session() : null);
        }
        apply(m, retained, now);
    }

    /** Applies the offline statuses held for {@code graceMs} without the node being heard from; how many. */
    public synchronized int applyDueWills(long now, long graceMs) {
        List<Status> due = wills.due(now, graceMs);
        due.forEach(s -> apply(s, false, now));
        return due.size();
    }

    private void apply(Message m, boolean retained, long now) {
        if (m instanceof NodeMessage nm) {
            NodeDelta delta = nodes.computeIfAbsent(m.site() + "/" + nm.node(), k -> new NodeDelta(m.site(), nm.node()));
            if (m instanceof Birth b) {
                delta.birth(b, retained, now);
            } else if (m instanceof Status s) {
                delta.status(s, retained, now);
            } else if (m instanceof Health h) {
                delta.health(h, retained, now);
            } else if (m instanceof Event e) {
                delta.event(retained, now);
                events.add(e);
            } else {
                delta.event(retained, now); // command results and witness requests prove liveness too
            }
        }
    }

    /** The hub's own canary: committed (and acknowledged) with the next batch; {@code sentNanos} for its latency. */
    public synchronized void canary(long sentNanos, Runnable ack) {
        canaries.add(sentNanos);
        acks.add(new Pending(ack, System.nanoTime()));
    }

    /** Puts back a batch whose write failed, before anything newer; newer deltas of the same node win. */
    synchronized void requeue(Batch batch) {
        for (NodeDelta d : batch.nodes()) {
            nodes.merge(d.site + "/" + d.node, d, (newer, old) -> newer.mergeOlder(old));
        }
        List<Event> ev = new ArrayList<>(batch.events());
        ev.addAll(events);
        events = ev;
        List<Pending> a = new ArrayList<>(batch.acks());
        a.addAll(acks);
        acks = a;
        List<Long> c = new ArrayList<>(batch.canaries());
        c.addAll(canaries);
        canaries = c;
    }

    /** Takes everything buffered so far, atomically with the acknowledgements of exactly those messages. */
    synchronized Batch drain() {
        Batch b = new Batch(List.copyOf(nodes.values()), events, acks, canaries);
        nodes = new HashMap<>();
        events = new ArrayList<>();
        acks = new ArrayList<>();
        canaries = new ArrayList<>();
        return b;
    }
}
