package io.geminik8s.hub.presence;

import io.geminik8s.protocol.Birth;
import io.geminik8s.protocol.Event;
import io.geminik8s.protocol.Health;
import io.geminik8s.protocol.Message;
import io.geminik8s.protocol.NodeMessage;
import io.geminik8s.protocol.Status;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Coalesces ingest in memory between flushes: per node only the merged {@link NodeDelta}, so a node that sends
 * ten health samples in an interval costs one row write. Events are kept in full (each is a record).
 */
@ApplicationScoped
public class PresenceBuffer {

    /** One flush worth of work. */
    record Batch(List<NodeDelta> nodes, List<Event> events) {
        boolean isEmpty() {
            return nodes.isEmpty() && events.isEmpty();
        }
    }

    private final Map<String, NodeDelta> nodes = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Event> events = new ConcurrentLinkedQueue<>();

    /** Nothing waits to be written. */
    public boolean isEmpty() {
        return nodes.isEmpty() && events.isEmpty();
    }

    public void accept(Message m, boolean retained, long now) {
        if (!(m instanceof NodeMessage nm)) {
            return;
        }
        nodes.compute(m.site() + "/" + nm.node(), (k, d) -> {
            NodeDelta delta = d == null ? new NodeDelta(m.site(), nm.node()) : d;
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
                delta.event(retained, now); // command results prove liveness too
            }
            return delta;
        });
    }

    /** Puts back a batch whose write failed; newer deltas of the same node win. Nothing accepted is dropped. */
    void requeue(Batch batch) {
        for (NodeDelta d : batch.nodes()) {
            nodes.merge(d.site + "/" + d.node, d, (newer, old) -> newer.mergeOlder(old));
        }
        events.addAll(batch.events());
    }

    /** Takes everything buffered so far; what arrives meanwhile goes to the next batch. */
    Batch drain() {
        List<NodeDelta> out = new ArrayList<>();
        for (String key : nodes.keySet()) {
            NodeDelta d = nodes.remove(key);
            if (d != null) {
                out.add(d);
            }
        }
        List<Event> ev = new ArrayList<>();
        for (Event e; (e = events.poll()) != null; ) {
            ev.add(e);
        }
        return new Batch(out, ev);
    }
}
