package io.geminik8s.hub.rollout;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.geminik8s.hub.HubConfig;
import io.geminik8s.hub.Periodic;
import io.geminik8s.hub.rollout.RolloutEngine.Effect;
import io.geminik8s.hub.rollout.RolloutEngine.Header;
import io.geminik8s.hub.rollout.RolloutEngine.Observation;
import io.geminik8s.hub.rollout.RolloutEngine.Phase;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.jboss.logging.Logger;

/**
 * Drives every running rollout, once per {@code gk8s.rollout.interval}, on whichever hub replica holds the
 * transaction-level advisory lock for that tick (one at a time; the others only ingest and serve). A tick is one
 * transaction: operator commands, late joiners, one observation query per rollout, the engine's decisions, then the
 * sites, bindings and header it changed, guarded by the header's version. A crash anywhere in between leaves the
 * previous tick's state, from which the next tick (here or on another replica) decides again: no step lost or doubled.
 */
@ApplicationScoped
public class RolloutDriver {

    static final long LOCK_KEY = 0x676b38735f726fL; // "gk8s_ro"
    private static final Logger LOG = Logger.getLogger(RolloutDriver.class);
    private final io.geminik8s.hub.LogBudget tickFailures = new io.geminik8s.hub.LogBudget(() -> 6);

    /** An engine kept between ticks while this replica drives; valid for one header version. */
    private static final class Loaded {
        RolloutEngine engine;
        RolloutSpec spec;
        long version;
        String counts;
        Header header;
    }

    private final Pool pool;
    private final RolloutStore store;
    private final RolloutConfig config;
    private final HubConfig hub;
    private final ObjectMapper json;
    private final Map<Long, Loaded> loaded = new ConcurrentHashMap<>();
    private final Timer tickTimer;
    private final RotationShell rotation;
    private final RotationStore rotations;
    private final io.geminik8s.hub.desired.DesiredPublisher publisher;
    /** Whether the current tick committed a change (ticks run one at a time: {@link Periodic}). */
    private final java.util.concurrent.atomic.AtomicBoolean progressed = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile Periodic.Job job;

    public RolloutDriver(Pool pool, RolloutStore store, RolloutConfig config, HubConfig hub, ObjectMapper json,
                         MeterRegistry registry, RotationShell rotation, RotationStore rotations,
                         io.geminik8s.hub.desired.DesiredPublisher publisher) {
        this.publisher = publisher;
        this.rotation = rotation;
        this.rotations = rotations;
        this.pool = pool;
        this.store = store;
        this.config = config;
        this.hub = hub;
        this.json = json;
        this.tickTimer = Timer.builder("gk8s.rollout.tick").description("One rollout tick (all running rollouts)")
                .publishPercentiles(0.5, 0.99).register(registry);
    }

    void schedule(@Observes StartupEvent ev, Vertx vertx) {
        job = Periodic.every(vertx, config.interval(), this::tick);
    }

    /** One tick over all running rollouts; also what tests call to step the driver. */
    public Uni<Void> tick() {
        long now = System.currentTimeMillis();
        long start = System.nanoTime();
        List<RotationShell.Outgoing> outbox = new ArrayList<>(); // renew commands, sent once committed
        progressed.set(false);
        return pool.withTransaction(tx -> tx.query("SELECT pg_try_advisory_xact_lock(" + LOCK_KEY + ") AS got")
                        .execute().chain(rows -> rows.iterator().next().getBoolean("got")
                                ? store.active(tx).chain(list -> Multi.createFrom().iterable(list)
                                        .onItem().transformToUniAndConcatenate(st -> drive(tx, st, now, outbox))
                                        .collect().last().replaceWithVoid())
                                : Uni.createFrom().voidItem()))
                .ifNoItem().after(hub.dbTimeout().multipliedBy(4)).fail()
                .call(() -> rotation.send(outbox))
                .onItem().invoke(() -> {
                    long took = System.nanoTime() - start;
                    tickTimer.record(took, TimeUnit.NANOSECONDS);
                    Periodic.Job j = job;
                    if (progressed.get() && j != null) { // committed: sites started, proven, a wave opened
                        publisher.nudge();
                        j.soon(java.time.Duration.ofNanos(Math.max(config.followUp().toNanos(), took)));
                    }
                })
                .onFailure().recoverWithItem(e -> {
                    loaded.clear(); // the engines may be ahead of what was committed: reload from the database
                    if (tickFailures.allow()) {
                        LOG.warnf("rollout tick failed, nothing of it was kept: %s", e.toString());
                    }
                    return null;
                });
    }

    /** Forgets the engines kept in memory (as a restarted hub would). */
    public void forget() {
        loaded.clear();
    }

    private Uni<Void> drive(SqlClient tx, RolloutStore.Stored st, long now, List<RotationShell.Outgoing> outbox) {
        Loaded cached = loaded.get(st.id());
        Uni<Loaded> l = cached != null && cached.version == st.version() ? Uni.createFrom().item(cached)
                : load(tx, st);
        return l.chain(x -> store.commands(tx, st.id()).chain(cmds -> {
            Phase before = x.engine.phase();
            List<Effect> effects = new ArrayList<>();
            List<Long> applied = new ArrayList<>();
            for (RolloutStore.Command c : cmds) {
                effects.addAll(command(x.engine, c));
                applied.add(c.id());
            }
            Uni<Void> join = x.spec.strategy().joinLateSites() && x.engine.phase() != Phase.ABORTED
                    ? (st.rotation() ? rotations.candidates(tx, st.selectorJson(), st.id())
                    : store.candidates(tx, st.template(), st.selectorJson(), st.id())).invoke(late -> {
                        for (String[] s : late) {
                            x.engine.join(s[0], Integer.parseInt(s[1]));
                        }
                    }).replaceWithVoid()
                    : Uni.createFrom().voidItem();
            if (st.rotation()) {
                return join.chain(() -> rotation.observe(tx, st.id(), x.engine, x.spec.strategy(), now, outbox))
                        .chain(t -> {
                            List<Effect> decided = x.engine.tick(observe(t.seen(), x, now), now);
                            effects.addAll(decided);
                            return rotation.apply(tx, st.id(), t, decided, x.spec.strategy(), now)
                                    .chain(() -> persist(tx, st, x, effects, applied, before));
                        });
            }
            return join.chain(() -> store.seen(tx, st.id(), x.engine.openWave(), x.spec.k3sVersion(),
                    x.spec.agentVersion()))
                    .chain(seen -> {
                        effects.addAll(x.engine.tick(observe(seen, x, now), now));
                        return persist(tx, st, x, effects, applied, before);
                    });
        }));
    }

    private List<Effect> command(RolloutEngine e, RolloutStore.Command c) {
        String why = c.actor() + (c.detail() == null || c.detail().isBlank() ? "" : ": " + c.detail());
        return switch (c.action()) {
            case "pause" -> {
                e.pause("paused by " + why);
                yield List.of();
            }
            case "resume" -> {
                e.resume();
                yield List.of();
            }
            case "approve" -> {
                e.approveNextWave();
                yield List.of();
            }
            case "abort" -> e.abort("aborted by " + why);
            default -> List.of();
        };
    }

    private Map<String, Observation> observe(Map<String, RolloutStore.Seen> seen, Loaded x, long now) {
        Map<String, Observation> out = new HashMap<>(seen.size() * 2);
        MaintenanceWindow w = x.spec.window();
        Instant at = Instant.ofEpochMilli(now);
        for (RolloutStore.Seen s : seen.values()) {
            boolean inWindow = true;
            long prestageAt = 0;
            if (w != null) {
                var zone = MaintenanceWindow.zone(s.tz());
                inWindow = w.isOpen(at, zone);
                if (!inWindow && !x.spec.prestage().isZero()) {
                    long next = w.nextOpening(at, zone);
                    prestageAt = next > now && next - now <= x.spec.prestage().toMillis() ? next : 0;
                }
            }
            boolean applied = s.targetGeneration() != null && s.applied() >= s.targetGeneration();
            out.put(s.site(), new Observation(s.online(), inWindow, applied ? x.engine.toRevision() : -1,
                    s.healthy(), prestageAt, s.failed(), s.reason()));
        }
        return out;
    }

    private Uni<Void> persist(SqlClient tx, RolloutStore.Stored st, Loaded x, List<Effect> effects,
                              List<Long> commands, Phase before) {
        var dirty = x.engine.drainDirty();
        Header h = x.engine.header();
        String counts = RolloutSpec.countsJson(json, x.engine.waveStateCounts());
        if (dirty.isEmpty() && effects.isEmpty() && commands.isEmpty() && h.equals(x.header)
                && counts.equals(x.counts)) {
            return Uni.createFrom().voidItem();
        }
        Uni<Void> chain = store.upsertSites(tx, st.id(), dirty).chain(() -> st.rotation() ? Uni.createFrom().voidItem()
                        : store.effects(tx, st.id(), effects))
                .chain(() -> store.header(tx, st.id(), x.version, h, counts)).invoke(ok -> {
                    if (!ok) {
                        throw new IllegalStateException("rollout " + st.id() + " was changed by another replica");
                    }
                }).chain(() -> store.commandsApplied(tx, commands, "done"));
        if (h.phase() != before) {
            chain = chain.chain(() -> store.audit(tx, st.id(), "hub", h.phase().name().toLowerCase(),
                    h.reason(), true)).replaceWithVoid();
        }
        return chain.invoke(() -> {
            progressed.set(true);
            x.version++;
            x.header = h;
            x.counts = counts;
            loaded.put(st.id(), x);
        });
    }

    private Uni<Loaded> load(SqlClient tx, RolloutStore.Stored st) {
        if (st.rotation()) {
            return store.sites(tx, st.id()).map(sites -> loaded(st, sites, null, null));
        }
        return tx.preparedQuery(VERSIONS).execute(Tuple.of(st.template(), st.toRevision()))
                .chain(rows -> store.sites(tx, st.id()).map(sites -> loaded(st, sites,
                        rows.iterator().next().getString("k3s"), rows.iterator().next().getString("agent"))));
    }

    /** The revision's K3s version, and its agent version where it carries the agent's release (docs/upgrades.md). */
    private static final String VERSIONS = """
            SELECT spec -> 'spec' -> 'versions' ->> 'k3s' AS k3s,
                   CASE WHEN EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(spec -> 'spec'
                                       -> 'artifacts') = 'array' THEN spec -> 'spec' -> 'artifacts' ELSE '[]' END) a
                                     WHERE a ->> 'name' = 'agent'
                                       AND a ->> 'version' = spec -> 'spec' -> 'versions' ->> 'agent')
                        THEN spec -> 'spec' -> 'versions' ->> 'agent' END AS agent
            FROM template_revision WHERE name = $1 AND revision = $2""";

    private Loaded loaded(RolloutStore.Stored st, List<RolloutEngine.SiteRow> sites, String k3s, String agent) {
        Loaded x = new Loaded();
        x.spec = RolloutSpec.parse(json, st.specJson(), k3s, agent);
        x.engine = RolloutEngine.restore(st.toRevision(), x.spec.strategy(), st.header(), sites);
        x.version = st.version();
        x.header = st.header();
        x.counts = st.countsJson();
        loaded.put(st.id(), x);
        return x;
    }
}
