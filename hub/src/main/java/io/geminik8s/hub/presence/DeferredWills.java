package io.geminik8s.hub.presence;

import io.geminik8s.protocol.Status;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Last Wills (and retained "offline" statuses replayed at subscribe) held for a grace period before they count; a
 * node's own "shutdown" status counts at once: Mosquitto 2.0 publishes every client's Last Will when it restarts, whatever its Will Delay (measured:
 * MosquittoRestartTest showed a sending node offline for ~1 s), and a retained will replays after a broker
 * restart too. A live message from the node within the grace cancels it. In memory only: a hub that dies holding
 * one leaves the node to the heartbeat timeout.
 */
final class DeferredWills {

    record Held(Status status, long receivedAt) {
    }

    private final Map<String, Held> held = new HashMap<>();

    synchronized void hold(String key, Status offline, long now) {
        Held h = held.get(key);
        if (h == null || offline.session() >= h.status().session()) {
            held.put(key, new Held(offline, now));
        }
    }

    /** A live message from the node: a will of the same or an older connection no longer counts. */
    synchronized void heard(String key, Long session) {
        Held h = held.get(key);
        if (h != null && (session == null || session >= h.status().session())) {
            held.remove(key);
        }
    }

    /** Wills held for at least {@code graceMs}, removed. */
    synchronized List<Status> due(long now, long graceMs) {
        List<Status> out = new ArrayList<>();
        for (Iterator<Held> it = held.values().iterator(); it.hasNext(); ) {
            Held h = it.next();
            if (now - h.receivedAt() >= graceMs) {
                out.add(h.status());
                it.remove();
            }
        }
        return out;
    }

    synchronized int size() {
        return held.size();
    }
}
