package io.geminik8s.hub.rollout;

import io.geminik8s.hub.ingest.IngestClient;
import io.geminik8s.hub.rollout.RolloutEngine.Effect;
import io.geminik8s.hub.rollout.RotationPlan.Decision;
import io.geminik8s.hub.rollout.RotationPlan.Node;
import io.geminik8s.hub.rollout.RotationPlan.Step;
import io.geminik8s.hub.rollout.RotationStore.SiteNodes;
import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.Command;
import io.geminik8s.protocol.SchemaVersion;
import io.geminik8s.protocol.Topics;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * The I/O of a certificate rotation around {@link RotationPlan} and {@link RolloutEngine}: reads each site's nodes,
 * records the steps, audits each command and renewal, and sends the {@code renew-certificate} commands once the
 * tick's transaction committed. A command not followed by a renewal is sent again every
 * {@code gk8s.rollout.rotation-resend} while the node is online (same id: the node runs it once); a node's answer
 * that it could not renew fails its site at once; a node that never renews times the site out.
 */
@ApplicationScoped
public class RotationShell {

    public static final String COMMAND = "renew-certificate";
    private static final Logger LOG = Logger.getLogger(RotationShell.class);

    /** A command to send after commit. */
    public record Outgoing(String site, String node, String id, String fromSerial, long expiresAt) {
    }

    /** One rollout's tick: what was seen, the steps that changed, the commands to send. */
    public static final class Tick {
        final Map<String, RolloutStore.Seen> seen = new LinkedHashMap<>();
        final Map<String, List<Node>> nodes = new HashMap<>();
        final Map<String, List<Step>> changed = new LinkedHashMap<>();
        final List<String[]> audit = new ArrayList<>();
        final List<Outgoing> outbox;

        Tick(List<Outgoing> outbox) {
            this.outbox = outbox;
        }

        public Map<String, RolloutStore.Seen> seen() {
            return seen;
        }
    }

    private final RotationStore store;
    private final RolloutStore rollouts;
    private final IngestClient down;
    private final Codec codec;
    private final long resendMs;

    public RotationShell(RotationStore store, RolloutStore rollouts, IngestClient down, Codec codec,
                         RolloutConfig config) {
        this.store = store;
        this.rollouts = rollouts;
        this.down = down;
        this.codec = codec;
        this.resendMs = config.rotationResend().toMillis();
    }

    /** Observes the rollout's open sites and moves the started ones on (done nodes, the next node to command). */
    public Uni<Tick> observe(SqlClient tx, long rollout, RolloutEngine engine, Strategy strategy, long now,
                             List<Outgoing> outbox) {
        Tick t = new Tick(outbox);
        return store.nodes(tx, rollout, engine.openWave()).chain(bySite -> store.steps(tx, rollout).map(steps -> {
            for (SiteNodes s : bySite.values()) {
                List<Node> certified = s.nodes().stream().filter(n -> n.serial() != null).toList();
                t.nodes.put(s.site(), certified);
                boolean allOnline = !certified.isEmpty() && s.nodes().stream().allMatch(Node::online);
                boolean done = false;
                boolean failed = false;
                RolloutEngine.Site site = engine.site(s.site());
                List<Step> mine = steps.get(s.site());
                if (site != null && site.state().inFlight() && mine != null) {
                    Map<String, Node> byId = new HashMap<>();
                    certified.forEach(n -> byId.put(n.id(), n));
                    Decision d = RotationPlan.next(mine, byId, now, resendMs);
                    record(t, rollout, s.site(), mine, d, site.startedAt + strategy.siteTimeout().toMillis());
                    done = d.done();
                    failed = d.failed();
                }
                t.seen.put(s.site(), new RolloutStore.Seen(s.site(), allOnline, allOnline, done ? 1 : 0, 1L,
                        s.tz(), failed));
            }
            return t;
        }));
    }

    /** Starts the sites the engine started (their order fixed now) and writes the tick's steps and audit. */
    public Uni<Void> apply(SqlClient tx, long rollout, Tick t, List<Effect> effects, Strategy strategy, long now) {
        for (Effect e : effects) {
            if (e instanceof Effect.Start s) {
                List<Step> order = RotationPlan.order(t.nodes.getOrDefault(s.site(), List.of()));
                Map<String, Node> byId = new HashMap<>();
                t.nodes.getOrDefault(s.site(), List.of()).forEach(n -> byId.put(n.id(), n));
                t.changed.put(s.site(), order);
                t.audit.add(new String[] {"rotate-site", s.site() + ": " + String.join(" then ",
                        order.stream().map(x -> x.node() + " (" + x.role() + ")").toList())});
                record(t, rollout, s.site(), order, RotationPlan.next(order, byId, now, resendMs),
                        now + strategy.siteTimeout().toMillis());
            } // a rollback has nothing to undo: a renewed certificate stays; abort only stops commanding
        }
        return store.save(tx, rollout, t.changed).chain(() -> Multi.createFrom().iterable(t.audit)
                .onItem().transformToUniAndConcatenate(a -> rollouts.audit(tx, rollout, "hub", a[0], a[1], true))
                .collect().last().replaceWithVoid());
    }

    private void record(Tick t, long rollout, String site, List<Step> before, Decision d, long expiresAt) {
        if (!d.steps().equals(before)) {
            t.changed.put(site, d.steps());
        }
        for (Step s : d.steps()) {
            boolean wasDone = before.stream().anyMatch(b -> b.node().equals(s.node()) && b.isDone());
            if (s.isDone() && !wasDone) {
                t.audit.add(new String[] {"renewed", site + "/" + s.node() + " (" + s.role() + "): "
                        + s.fromSerial() + " -> " + s.toSerial()});
            }
        }
        if (d.command() != null) {
            Step c = d.command();
            String id = RotationStore.commandId(rollout, site, c.node());
            t.outbox.add(new Outgoing(site, c.node(), id, c.fromSerial(), expiresAt));
            boolean again = before.stream().anyMatch(b -> b.node().equals(c.node()) && b.commandedAt() >= 0);
            t.audit.add(new String[] {again ? "renew-command-resent" : "renew-command", site + "/" + c.node() + " (" + c.role() + "): from "
                    + c.fromSerial()});
        }
    }

    /** Sends the committed commands (QoS 1); a failed send is logged, and the site times out if it mattered. */
    public Uni<Void> send(List<Outgoing> outbox) {
        return Multi.createFrom().iterable(outbox).onItem().transformToUniAndMerge(o -> {
            long now = System.currentTimeMillis();
            Command c = new Command(SchemaVersion.CURRENT.toString(), o.id(), o.site(), o.node(), COMMAND,
                    Map.of("from", o.fromSerial()), now, Math.max(now, o.expiresAt()));
            return down.publish(Topics.command(o.site(), o.node()), codec.encode(c), false)
                    .onFailure().recoverWithItem(e -> {
                        LOG.warnf("renew command %s not sent: %s", o.id(), e.toString());
                        return null;
                    });
        }).collect().last().replaceWithVoid();
    }
}
