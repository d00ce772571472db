package io.geminik8s.hub.rollout;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.protocol.Birth;
import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.DesiredState;
import io.geminik8s.protocol.Health;
import io.geminik8s.protocol.Message;
import io.geminik8s.protocol.Role;
import io.geminik8s.protocol.Topics;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A simulated two-node site speaking the real protocol through the test broker: node a primary, b a streaming
 * standby; each node applies desired state like the agent (newer generations only, not before activateNotBefore),
 * then reports the K3s version of the spec in a new birth and the applied generation in health (every 300 ms), with
 * the protocol 1.3 {@code runtime}: the K3s version it runs, K3s ready, the VIP answering on a (the primary), and the
 * upgrade's step ({@code done} once applied). {@code brokenRevision}: after applying it, b stops streaming (the site
 * is unhealthy). {@code silent}: receives but never applies (a site that went away mid-change). {@code noRuntime}:
 * agents older than 1.3 (health without runtime). {@code stuckNode}: applies the generation but keeps running its
 * K3s version. {@code failNode}: its upgrade to {@code failRevision} fails (reports step failed with
 * {@code failError}, does not apply). {@link #step}: a node reports a given step of the applied generation.
 */
public final class SimSite implements AutoCloseable {

    private static final ScheduledExecutorService TIMER = Executors.newScheduledThreadPool(1, r -> {
        Thread t = new Thread(r, "sim-sites");
        t.setDaemon(true);
        return t;
    });

    public final String id;
    final Map<String, String> labels;
    volatile int brokenRevision = -1;
    public volatile boolean silent;
    /** Node b reports primary too (a split site; set before {@link #online()}). */
    public volatile boolean bothPrimary;
    public volatile boolean noRuntime;
    public volatile boolean vipDown;
    public volatile String stuckNode;
    public volatile String failNode;
    public volatile int failRevision = -1;
    public volatile String failError = "k3s did not become ready within 120 s";
    final List<DesiredState> received = new CopyOnWriteArrayList<>();
    /** Generations node a applied, in order (a step done twice would show twice). */
    final List<Long> appliedLog = new CopyOnWriteArrayList<>();
    private final Codec codec = new Codec();
    private final Node[] nodes = {new Node("a"), new Node("b")};

    private final class Node {
        final String name;
        Mqtt5AsyncClient client;
        volatile long applied;
        volatile int revision = 1;
        volatile String k3s = "v1.31.4+k3s1";
        volatile String runningK3s = "v1.31.4+k3s1";
        volatile Health.Upgrade upgrade;
        volatile String forcedStep;
        long sample;
        // set by the MQTT callback, taken by the timer: a newer state arriving meanwhile must not be dropped
        final java.util.concurrent.atomic.AtomicReference<DesiredState> staged =
                new java.util.concurrent.atomic.AtomicReference<>();
        long session;
        java.util.concurrent.ScheduledFuture<?> health;
        private boolean stopped;

        Node(String name) {
            this.name = name;
        }

        void connect() {
            session = System.currentTimeMillis() * 1000 + name.charAt(0);
            client = Mqtt5Client.builder().identifier(id + "-" + name).serverHost("127.0.0.1")
                    .serverPort(HubInfrastructure.mqttPort).buildAsync();
            client.connect().join();
            birth();
            client.subscribeWith().topicFilter(Topics.desired(id)).qos(MqttQos.AT_LEAST_ONCE).callback(p -> {
                DesiredState d = codec.decode(DesiredState.class, p.getPayloadAsBytes()).orThrow();
                if (name.equals("a")) {
                    received.add(d);
                }
                if (!silent && d.generation() > applied) {
                    staged.set(d);
                }
            }).send().join();
            synchronized (this) {
                stopped = false;
                health = TIMER.scheduleAtFixedRate(this::tick, 0, 300, TimeUnit.MILLISECONDS);
            }
        }

        void tick() {
            synchronized (this) {
                if (!stopped) {
                    applyAndReport();
                }
            }
        }

        private void applyAndReport() {
            DesiredState d = staged.get();
            long now = System.currentTimeMillis();
            if (d != null && (d.activateNotBefore() == null || d.activateNotBefore() <= now)) {
                if (!staged.compareAndSet(d, null)) {
                    return; // a newer one came in: the next tick takes it
                }
                String to = d.spec().path("versions").path("k3s").asText(k3s);
                if (name.equals(failNode) && d.spec().path("revision").asInt() == failRevision) {
                    upgrade = new Health.Upgrade(d.generation(), "failed", runningK3s, to, failError);
                    publishHealth(now);
                    return; // rolled back: runs what it ran, applies nothing
                }
                upgrade = new Health.Upgrade(d.generation(), "done", runningK3s, to, null);
                if (!name.equals(stuckNode)) {
                    runningK3s = to;
                }
                applied = d.generation();
                revision = d.spec().path("revision").asInt();
                if (name.equals("a")) {
                    appliedLog.add(applied);
                }
                k3s = d.spec().path("versions").path("k3s").asText(k3s);
                birth();
            }
            publishHealth(now);
        }

        void publishHealth(long now) {
            boolean primary = name.equals("a") || bothPrimary;
            boolean streaming = !primary && revision != brokenRevision;
            Health.Upgrade u = upgrade;
            String forced = forcedStep;
            if (forced != null) {
                u = new Health.Upgrade(u == null ? applied : u.generation(), forced, null, null, null);
            }
            Health.Runtime runtime = noRuntime ? null : new Health.Runtime(Map.of("k3s", runningK3s,
                    "agent", "sim"), true, name.equals("a") ? !vipDown : null, u);
            publish(new Health("1.3", id, name, now, 5.0, null, null, null, null, 100L,
                    new Health.Pg(primary ? Role.PRIMARY : Role.STANDBY, 0L, streaming, null), null,
                    applied == 0 ? null : applied, session, ++sample, runtime));
        }

        void birth() {
            publish(new Birth("1.1", id, name, session, System.currentTimeMillis(), "sim", id + "-" + name,
                    name.equals("a") || bothPrimary ? Role.PRIMARY : Role.STANDBY,
                    noRuntime ? Map.of("agent", "sim") : Map.of("k3s", runningK3s), List.of("desired-state"), labels,
                    applied));
        }

        void publish(Message m) {
            client.publishWith().topic(Topics.topicOf(m)).payload(codec.encode(m)).qos(MqttQos.AT_LEAST_ONCE)
                    .send();
        }

        void disconnect() {
            synchronized (this) { // a tick under way ends first: no Health of it follows the shutdown Status
                stopped = true;
                if (health != null) {
                    health.cancel(false);
                }
            }
            if (client != null && client.getState().isConnected()) {
                // a clean disconnect drops the will: say offline first, as the agent does on shutdown
                publish(new io.geminik8s.protocol.Status("1.1", id, name, session, false, System.currentTimeMillis(),
                        "shutdown"));
                client.disconnect().join();
            }
        }
    }

    public SimSite(String id, Map<String, String> labels) {
        this.id = id;
        this.labels = labels;
    }

    public SimSite online() {
        for (Node n : nodes) {
            n.connect();
        }
        return this;
    }

    public void offline() {
        for (Node n : nodes) {
            n.disconnect();
        }
    }

    /** One node shuts down (says offline, then disconnects), the other stays. */
    public void nodeOffline(String node) {
        for (Node n : nodes) {
            if (n.name.equals(node)) {
                n.disconnect();
            }
        }
    }

    /** Node {@code node} reports {@code step} for its latest generation from now on (null: back to its own). */
    public void step(String node, String step) {
        for (Node n : nodes) {
            if (n.name.equals(node)) {
                n.forcedStep = step;
            }
        }
    }

    /** The generation both nodes applied (the lower one). */
    public long applied() {
        return Math.min(nodes[0].applied, nodes[1].applied);
    }

    public int revision() {
        return nodes[0].revision;
    }

    @Override
    public void close() {
        offline();
    }
}
