package io.geminik8s.loadtest.sim;

import com.hivemq.client.mqtt.MqttClientExecutorConfig;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.connect.Mqtt5Connect;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import io.geminik8s.protocol.Birth;
import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.DesiredState;
import io.geminik8s.protocol.Event;
import io.geminik8s.protocol.Health;
import io.geminik8s.protocol.Kind;
import io.geminik8s.protocol.Message;
import io.geminik8s.protocol.Role;
import io.geminik8s.protocol.SchemaVersion;
import io.geminik8s.protocol.Severity;
import io.geminik8s.protocol.Status;
import io.geminik8s.protocol.Topics;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One simulated agent: its own MQTT 5 connection (retained Last Will per connection session, birth on connect, like
 * the real agent), health and events on demand. No threads of its own: the netty loops and the scheduler are the
 * fleet's. Events count as sent only when the broker acknowledged them (QoS 1).
 */
public final class VirtualAgent {

    private static final String V = SchemaVersion.CURRENT.toString();
    /** The K3s version every simulated node runs (the load tests' templates name it). */
    static final String K3S = "v1.31.4+k3s1";

    private final String site;
    private final String node;
    private final Codec codec;
    private final Mqtt5AsyncClient client;
    private final AtomicLong eventSeq = new AtomicLong();
    private final FleetCounters counters;
    private volatile long session;
    private volatile long appliedGeneration;
    private volatile DesiredState staged;
    private volatile boolean failing;
    private volatile long slowMs;
    private volatile CompletableFuture<Boolean> attempt = new CompletableFuture<>();

    VirtualAgent(String site, String node, String host, int port, InetSocketAddress local, MqttClientExecutorConfig executors,
                 Codec codec, FleetCounters counters) {
        this.site = site;
        this.node = node;
        this.codec = codec;
        this.counters = counters;
        var b = Mqtt5Client.builder().identifier("gk8s-" + site + "-" + node)
                // its identity, as a real agent's; on the client, so that automatic reconnects send it too
                .simpleAuth().username(site + "/" + node).applySimpleAuth().serverHost(host).serverPort(port)
                .executorConfig(executors)
                .automaticReconnect().initialDelay(1, java.util.concurrent.TimeUnit.SECONDS)
                .maxDelay(30, java.util.concurrent.TimeUnit.SECONDS).applyAutomaticReconnect()
                .addConnectedListener(ctx -> {
                    attempt.complete(true);
                    counters.connects.incrementAndGet();
                    birth();
                    subscribeDesired();
                })
                .addDisconnectedListener(ctx -> {
                    attempt.complete(false); // a refused or failed connect too: the client retries on its own
                    counters.disconnects.incrementAndGet();
                });
        if (local != null) {
            b = b.transportConfig().localAddress(local).applyTransportConfig();
        }
        this.client = b.buildAsync();
    }

    public String site() {
        return site;
    }

    public String node() {
        return node;
    }

    /** A failing node: as a standby, it reports that replication does not stream. */
    void failing(boolean on) {
        failing = on;
    }

    public boolean failing() {
        return failing;
    }

    /** A slow node: its health samples reach the broker this much after their timestamp. */
    void slowBy(long ms) {
        slowMs = ms;
    }

    public long slowMs() {
        return slowMs;
    }

    /** The link drops: the broker publishes the Last Will (the node goes offline) and the connection closes. */
    CompletableFuture<Void> dropLink() {
        return client.disconnectWith().reasonCode(Mqtt5DisconnectReasonCode.DISCONNECT_WITH_WILL_MESSAGE).send();
    }

    public boolean connected() {
        return client.getState().isConnected();
    }

    /**
     * Connects; completes with whether the first attempt got in (false: refused or failed — the client keeps
     * retrying with backoff, and the birth follows whenever it connects).
     */
    public CompletableFuture<Boolean> firstAttempt() {
        attempt = new CompletableFuture<>();
        CompletableFuture<Boolean> a = attempt;
        connect();
        return a;
    }

    /** Connects with a connection session and its Last Will; the birth follows on every (re)connect. */
    public CompletableFuture<Void> connect() {
        session = System.currentTimeMillis() * 1000 + counters.connections.incrementAndGet() % 1000;
        byte[] will = codec.encode(new Status(V, site, node, session, false, System.currentTimeMillis(), "last-will"));
        Mqtt5Connect connect = Mqtt5Connect.builder().cleanStart(true).keepAlive(60)
                .willPublish().topic(Topics.up(site, node, Kind.STATUS)).payload(will).qos(MqttQos.AT_LEAST_ONCE)
                .retain(true).applyWillPublish().build();
        return client.connect(connect).thenRun(() -> { });
    }

    /** On every (re)connect, like the real agent. */
    private void birth() {
        publish(new Birth(V, site, node, session, System.currentTimeMillis(), "sim-1.0", site + "-" + node,
                Role.UNKNOWN, Map.of("k3s", K3S), List.of("health", "events"), Map.of("fleet", "sim"), 0L),
                1, false);
    }

    /**
     * Desired state is applied like the real agent does: newer generations only, staged until activateNotBefore
     * (checked at each health sample), reported in health at once.
     */
    private void subscribeDesired() {
        client.subscribeWith().topicFilter(Topics.desired(site)).qos(MqttQos.AT_LEAST_ONCE).callback(p -> {
            var d = codec.decode(DesiredState.class, p.getPayloadAsBytes());
            if (d.ok() && d.orThrow().generation() > appliedGeneration) {
                staged = d.orThrow();
                activateStaged(System.currentTimeMillis());
            }
        }).send();
    }

    /** Called from the MQTT callback and the health scheduler: one caller at a time, or both would apply it. */
    private synchronized void activateStaged(long now) {
        DesiredState d = staged;
        if (d != null && (d.activateNotBefore() == null || d.activateNotBefore() <= now)) {
            staged = null;
            if (d.generation() > appliedGeneration) {
                appliedGeneration = d.generation();
                counters.desiredApplied.incrementAndGet();
                health(now, 1.0);
            }
        }
    }

    public long appliedGeneration() {
        return appliedGeneration;
    }

    public CompletableFuture<Void> disconnect() {
        return client.disconnect();
    }

    /** A health sample stamped {@code ts} (the visibility probe looks for this timestamp in the hub's API). */
    public CompletableFuture<Void> health(long ts, double cpuPct) {
        activateStaged(ts);
        // node a primary, b a streaming standby: a healthy pair, as a rollout's verification expects
        Health.Pg pg = new Health.Pg(node.equals("a") ? Role.PRIMARY : Role.STANDBY, 0L, !node.equals("a") && !failing,
                null);
        // what runs (protocol 1.3): the K3s version the hub's health proof compares, ready; the VIP answers on a
        Health.Runtime runtime = new Health.Runtime(Map.of("k3s", K3S), true, node.equals("a") ? Boolean.TRUE : null,
                null);
        return publish(new Health(V, site, node, ts, cpuPct, 2_000_000_000L, 8_000_000_000L, 20_000_000_000L,
                120_000_000_000L, 86_400L, pg, null, appliedGeneration == 0 ? null : appliedGeneration, null, null,
                runtime), 0, false);
    }

    public CompletableFuture<Void> event(String type, String message) {
        long seq = eventSeq.incrementAndGet();
        counters.eventsAttempted.incrementAndGet();
        return publish(new Event(V, site, node, seq, System.currentTimeMillis(), type, Severity.INFO, message, Map.of()),
                1, false).thenRun(() -> {
                    counters.eventsSent.incrementAndGet();
                    counters.ackedAt.put(site + "/" + node + "/" + seq, System.currentTimeMillis());
                });
    }

    private CompletableFuture<Void> publish(Message m, int qos, boolean retain) {
        byte[] payload = codec.encode(m);
        counters.bytesOut.addAndGet(payload.length);
        counters.messages.incrementAndGet();
        return client.publishWith().topic(Topics.topicOf(m)).payload(payload).qos(MqttQos.fromCode(qos)).retain(retain)
                .send().handle((r, err) -> {
                    if (err != null || r.getError().isPresent()) {
                        counters.failures.incrementAndGet();
                        throw new IllegalStateException(err != null ? err : r.getError().get());
                    }
                    return null;
                });
    }
}
