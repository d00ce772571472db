package io.geminik8s.hub.presence;

import io.geminik8s.protocol.Birth;
import io.geminik8s.protocol.Health;
import io.geminik8s.protocol.HealthDelta;
import io.geminik8s.protocol.Status;

/**
 * What one flush interval taught us about one node, merged in arrival order. Liveness rules (docs/architecture.md):
 * live births, live "online" statuses, health and events prove the node online; an "offline" status counts
 * unless an equal or newer session was already seen; retained replays (on hub (re)subscribe) update inventory
 * but prove nothing about liveness.
 */
final class NodeDelta {

    final String site;
    final String node;
    Birth birth;
    Health health;
    /** Highest connection session seen in a birth or status, or null. */
    Long session;
    /** true/false when this interval decided liveness, null when it did not. */
    Boolean online;
    String offlineReason;
    /** Receipt time of the last live message (epoch ms), or 0. */
    long lastSeen;

    NodeDelta(String site, String node) {
        this.site = site;
        this.node = node;
    }

    void birth(Birth b, boolean retained, long now) {
        if (birth == null || b.session() >= birth.session()) {
            birth = b;
        }
        if (!retained && (session == null || b.session() >= session)) {
            alive(now);
        }
        raise(b.session());
    }

    void status(Status s, boolean retained, long now) {
        if (s.online()) {
            if (!retained && (session == null || s.session() >= session)) {
                alive(now);
            }
        } else if (session == null || s.session() >= session) {
            online = false;
            offlineReason = s.reason() == null ? "offline" : s.reason();
        }
        raise(s.session());
    }

    void health(Health h, boolean retained, long now) {
        if (health != null && HealthDelta.isDelta(h)) {
            h = HealthDelta.over(h, health); // a 1.4 delta: what it leaves out is as in the node's previous sample
        }
        if (health == null || h.newerThan(health)) {
            health = h;
        }
        if (!retained) {
            alive(now);
        }
    }

    void event(boolean retained, long now) {
        if (!retained) {
            alive(now);
        }
    }

    private void alive(long now) {
        online = true;
        offlineReason = null;
        lastSeen = Math.max(lastSeen, now);
    }

    private void raise(long s) {
        session = session == null ? s : Math.max(session, s);
    }

    /** Folds an older delta (a failed write) under this newer one. */
    NodeDelta mergeOlder(NodeDelta old) {
        if (old.birth != null && (birth == null || old.birth.session() > birth.session())) {
            birth = old.birth;
        }
        if (old.health != null && health != null && HealthDelta.isDelta(health)) {
            health = HealthDelta.over(health, old.health);
        }
        if (old.health != null && (health == null || !health.newerThan(old.health))) {
            health = old.health;
        }
        if (online == null) {
            online = old.online;
            offlineReason = old.offlineReason;
        }
        if (old.session != null) {
            raise(old.session);
        }
        lastSeen = Math.max(lastSeen, old.lastSeen);
        return this;
    }
}
