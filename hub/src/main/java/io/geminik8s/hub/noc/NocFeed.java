package io.geminik8s.hub.noc;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.geminik8s.hub.HubConfig;
import io.geminik8s.hub.Periodic;
import io.geminik8s.protocol.Codec;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.BackPressureStrategy;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The live stream behind the NOC view. One database look per tick for all viewers, and only while someone watches:
 * the sites whose row changed since the last look (status, labels, registration) and whether any rollout changed.
 * Each viewer gets at most one update per {@code gk8s.noc.update-interval}; what changes in between is merged into
 * its next update. An update carries the fleet's counts, the changed site ids (at most {@link #MAX_IDS}, else
 * {@code more}) and {@code rollouts: true} when a rollout changed; the page re-reads what it shows.
 */
@ApplicationScoped
public class NocFeed {

    static final int MAX_IDS = 200;
    /** Rows are stamped with their transaction's start: look back this far so a long commit is not missed. */
    static final int MAX_LOOK = 5000;
    private static final String CHANGED = "SELECT id, updated_at, now() AS db_now FROM site WHERE updated_at >"
            + " $1::timestamptz - interval '5 seconds' ORDER BY updated_at LIMIT " + MAX_LOOK;
    private static final String ROLLOUTS = "SELECT coalesce(max(updated_at)::text, '') AS at, count(*) AS n FROM rollout";

    private final Pool pool;
    private final NocSummary summary;
    private final NocConfig config;
    private final HubConfig hub;
    private final ObjectMapper json;
    private final Set<Viewer> viewers = ConcurrentHashMap.newKeySet();
    /** Changes already announced in the look-back window, by site: the update time announced. */
    private final Map<String, OffsetDateTime> announced = new HashMap<>();
    private OffsetDateTime watermark = OffsetDateTime.now();
    private String rolloutMark = "";
    private long lastKeepAlive = System.nanoTime();

    public NocFeed(Pool pool, NocSummary summary, NocConfig config, HubConfig hub, Codec codec) {
        this.pool = pool;
        this.summary = summary;
        this.config = config;
        this.hub = hub;
        this.json = codec.mapper();
    }

    void schedule(@Observes StartupEvent ev, Vertx vertx) {
        Periodic.every(vertx, config.updateInterval().dividedBy(4), this::tick);
    }

    /** A viewer's stream of JSON updates: the counts at once, then changes. */
    public Multi<String> subscribe() {
        return Multi.createFrom().<String>emitter(em -> {
            Viewer v = new Viewer(em);
            em.onTermination(() -> viewers.remove(v));
            summary.counts().subscribe().with(counts -> {
                v.first(update(counts, Set.of(), false, false));
                viewers.add(v);
            }, em::fail);
        }, BackPressureStrategy.LATEST);
    }

    int viewers() {
        return viewers.size();
    }

    Uni<Void> tick() {
        if (viewers.isEmpty()) {
            watermark = OffsetDateTime.now();
            announced.clear();
            return Uni.createFrom().voidItem();
        }
        return pool.preparedQuery(CHANGED).execute(Tuple.of(watermark)).chain(rows -> {
            Set<String> changed = new LinkedHashSet<>();
            OffsetDateTime horizon = watermark.minusSeconds(5);
            announced.values().removeIf(t -> t.isBefore(horizon));
            OffsetDateTime dbNow = null;
            for (Row r : rows) {
                dbNow = r.getOffsetDateTime("db_now");
                OffsetDateTime at = r.getOffsetDateTime("updated_at");
                if (!at.equals(announced.get(r.getString("id")))) {
                    announced.put(r.getString("id"), at);
                    changed.add(r.getString("id"));
                }
                if (at.isAfter(watermark)) {
                    watermark = at;
                }
            }
            // more changes than one look takes (a broker restart takes a whole fleet offline): tell every viewer
            // "more" and look on from the database's now, or the look would read the same rows again and again
            boolean flood = rows.size() >= MAX_LOOK;
            if (flood) {
                changed.clear();
                announced.clear();
                watermark = dbNow;
            }
            return pool.query(ROLLOUTS).execute().chain(rr -> {
                Row r = rr.iterator().next();
                String mark = r.getString("at") + "/" + r.getLong("n");
                boolean rollouts = !mark.equals(rolloutMark);
                rolloutMark = mark;
                return deliver(changed, rollouts, flood);
            });
        }).ifNoItem().after(hub.dbTimeout()).fail();
    }

    private Uni<Void> deliver(Set<String> changed, boolean rollouts, boolean flood) {
        long now = System.nanoTime();
        boolean keepAlive = now - lastKeepAlive >= config.keepAlive().toNanos();
        if (keepAlive) {
            lastKeepAlive = now;
        }
        viewers.forEach(v -> v.merge(changed, rollouts, flood));
        boolean due = viewers.stream().anyMatch(v -> v.due(now));
        if (!due) {
            if (keepAlive) {
                viewers.forEach(v -> v.send("{\"type\":\"keep-alive\"}"));
            }
            return Uni.createFrom().voidItem();
        }
        return summary.counts().invoke(counts -> {
            for (Viewer v : viewers) {
                if (v.due(now)) {
                    v.flush(counts);
                } else if (keepAlive) {
                    v.send("{\"type\":\"keep-alive\"}");
                }
            }
        }).replaceWithVoid();
    }

    private String update(Map<String, Long> counts, Set<String> ids, boolean more, boolean rollouts) {
        Map<String, Object> u = new LinkedHashMap<>();
        u.put("type", "fleet");
        u.put("at", OffsetDateTime.now().toString());
        u.put("counts", counts);
        u.put("changed", List.copyOf(ids));
        u.put("more", more);
        u.put("rollouts", rollouts);
        try {
            return json.writeValueAsString(u);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** One open stream and what it has not been told yet. */
    private final class Viewer {
        private final MultiEmitter<? super String> out;
        private final Set<String> pending = new LinkedHashSet<>();
        private boolean more;
        private boolean rollouts;
        private long lastSent = System.nanoTime();

        Viewer(MultiEmitter<? super String> out) {
            this.out = out;
        }

        synchronized void merge(Set<String> ids, boolean rolloutsChanged, boolean flood) {
            more |= flood;
            for (String id : ids) {
                if (pending.size() >= MAX_IDS) {
                    more = true;
                    break;
                }
                pending.add(id);
            }
            rollouts |= rolloutsChanged;
        }

        synchronized boolean due(long now) {
            return (!pending.isEmpty() || more || rollouts) && now - lastSent >= config.updateInterval().toNanos();
        }

        /** The counts when the stream opens; the next update comes an interval after it. */
        synchronized void first(String item) {
            send(item);
            lastSent = System.nanoTime();
        }

        /** Sends what is pending; the interval counts from now, whenever the counts came back. */
        synchronized void flush(Map<String, Long> counts) {
            long now = System.nanoTime();
            if (now - lastSent < config.updateInterval().toNanos()) {
                return;
            }
            send(update(counts, pending, more, rollouts));
            pending.clear();
            more = false;
            rollouts = false;
            lastSent = now;
        }

        void send(String item) {
            if (!out.isCancelled()) {
                out.emit(item);
            }
        }
    }
}
