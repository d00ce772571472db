package io.geminik8s.hub.ingest;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.lifecycle.MqttClientConnectedContext;
import com.hivemq.client.mqtt.lifecycle.MqttClientDisconnectedContext;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5RetainHandling;
import com.hivemq.client.mqtt.mqtt5.message.unsubscribe.unsuback.Mqtt5UnsubAckReasonCode;
import io.geminik8s.hub.HubConfig;
import io.geminik8s.hub.LogBudget;
import io.geminik8s.hub.presence.PresenceBuffer;
import io.geminik8s.hub.presence.PresenceWriter;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.core.Vertx;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * The hub's MQTT 5 connection, for ingest and for hub-to-node messages (HiveMQ client, manual acknowledgement): a persistent session per replica
 * ({@code gk8s-hub-<instance>}, expiry {@code gk8s.mqtt.session-expiry}), Receive Maximum as flow control, and on
 * every connect a fresh SUBSCRIBE of the ingest subscription and of this replica's canary topic (a broker may
 * resume a session without a shared subscription: Mosquitto 2.0.11 did). Each message is acknowledged only once
 * its effect is committed ({@link PresenceWriter}). Connection changes: one line each, failures at WARN without
 * stack traces, repeated failures at most once a minute.
 */
@ApplicationScoped
public class IngestClient {

    private static final Logger LOG = Logger.getLogger(IngestClient.class);
    private static final int MAX_PACKET = 256 * 1024;

    private final MqttSettings mqtt;
    private final HubConfig hub;
    private final Ingest ingest;
    private final PresenceBuffer buffer;
    private final PresenceWriter writer;
    private final IngestState state;
    private final LogBudget failureLogs = new LogBudget(() -> 1);
    private final AtomicInteger failures = new AtomicInteger();
    private final String canaryTopic;
    private volatile Mqtt5AsyncClient client;
    private volatile boolean subscribed;
    private volatile boolean stopping;

    public IngestClient(MqttSettings mqtt, HubConfig hub, Ingest ingest, PresenceBuffer buffer,
                        PresenceWriter writer, IngestState state) {
        this.state = state;
        this.mqtt = mqtt;
        this.hub = hub;
        this.ingest = ingest;
        this.buffer = buffer;
        this.writer = writer;
        this.canaryTopic = "gk8s/v1/hub/" + hub.instance() + "/canary";
    }

    public String clientId() {
        return "gk8s-hub-" + hub.instance();
    }

    public String canaryTopic() {
        return canaryTopic;
    }

    /**
     * Publishes QoS 1 on the same connection (hub-to-node messages); completes when the broker acknowledged it,
     * fails when it refused it, is not connected, or does not answer in 10 s.
     */
    public io.smallrye.mutiny.Uni<Void> publish(String topic, byte[] payload, boolean retain) {
        return io.smallrye.mutiny.Uni.createFrom().completionStage(() -> client.publishWith().topic(topic)
                        .qos(MqttQos.AT_LEAST_ONCE).retain(retain).payload(payload).send())
                .onItem().transform(r -> {
                    if (r.getError().isPresent()) {
                        throw new IllegalStateException("publish to " + topic + " refused: " + r.getError().get());
                    }
                    return (Void) null;
                })
                .ifNoItem().after(java.time.Duration.ofSeconds(10)).fail();
    }

    /** Connected, and the last SUBSCRIBE granted both subscriptions. */
    public boolean subscribed() {
        Mqtt5AsyncClient c = client;
        return c != null && c.getState().isConnected() && subscribed;
    }

    void start(@Observes StartupEvent ev, Vertx vertx) {
        var builder = MqttClient.builder().useMqttVersion5().identifier(clientId())
                .serverHost(mqtt.host()).serverPort(mqtt.port())
                .automaticReconnect().initialDelay(500, TimeUnit.MILLISECONDS).maxDelay(5, TimeUnit.SECONDS)
                .applyAutomaticReconnect()
                .addConnectedListener(this::connected).addDisconnectedListener(this::disconnected);
        if (mqtt.tlsCert().isPresent() != mqtt.tlsKey().isPresent() || mqtt.tlsCert().isPresent() && !mqtt.ssl()) {
            throw new IllegalStateException("gk8s.mqtt.tls-cert and gk8s.mqtt.tls-key go together, with gk8s.mqtt.ssl=true");
        }
        if (mqtt.tlsCert().isPresent()) { // the JVM's trust store, this key and certificate
            builder = builder.sslConfig().keyManagerFactory(MqttClientKey.keyManagers(mqtt.tlsCert().get(),
                    mqtt.tlsKey().get())).applySslConfig();
        } else if (mqtt.ssl()) {
            builder = builder.sslWithDefaultConfig();
        }
        if (mqtt.username().isPresent()) { // on the client, not the CONNECT: automatic reconnects reuse only these
            builder = builder.simpleAuth().username(mqtt.username().get()).password(mqtt.password().orElse("")
                    .getBytes(StandardCharsets.UTF_8)).applySimpleAuth();
        }
        client = builder.buildAsync();
        client.publishes(MqttGlobalPublishFilter.ALL, this::received, true);
        client.connectWith().cleanStart(false).sessionExpiryInterval(mqtt.sessionExpiry().toSeconds()).keepAlive(30)
                .restrictions().receiveMaximum(Math.min(65_535, Math.max(1, mqtt.receiveMaximum())))
                .maximumPacketSize(MAX_PACKET).applyRestrictions()
                .send();
        vertx.setPeriodic(Math.max(100, mqtt.canaryInterval().toMillis()), id -> canary());
    }

    private void received(Mqtt5Publish p) {
        String topic = p.getTopic().toString();
        if (topic.equals(canaryTopic)) {
            long sent;
            try {
                sent = Long.parseLong(new String(p.getPayloadAsBytes(), StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                p.acknowledge();
                return;
            }
            buffer.canary(sent, p::acknowledge);
        } else {
            ingest.accept(topic, p.getPayloadAsBytes(), p.isRetain(), p::acknowledge);
        }
        writer.received();
    }

    private void canary() {
        Mqtt5AsyncClient c = client;
        if (c != null && c.getState().isConnected() && !stopping) {
            c.publishWith().topic(canaryTopic()).qos(MqttQos.AT_LEAST_ONCE)
                    .payload(Long.toString(System.nanoTime()).getBytes(StandardCharsets.US_ASCII)).send();
        }
    }

    private void connected(MqttClientConnectedContext ctx) {
        int failed = failures.getAndSet(0);
        LOG.infof("ingest connected to %s:%d as %s%s", mqtt.host(), mqtt.port(), clientId(),
                failed > 0 ? " after " + failed + " failed attempt(s)" : "");
        client.subscribeWith()
                .addSubscription().topicFilter(mqtt.subscription()).qos(MqttQos.AT_LEAST_ONCE)
                .retainHandling(Mqtt5RetainHandling.SEND_IF_SUBSCRIPTION_DOES_NOT_EXIST).applySubscription()
                .addSubscription().topicFilter(canaryTopic()).qos(MqttQos.AT_LEAST_ONCE).applySubscription()
                .send().whenComplete((ack, e) -> {
                    if (e != null) {
                        subscribed = false;
                        state.down();
                        LOG.warnf("ingest subscription failed: %s", e.toString());
                    } else if (ack.getReasonCodes().stream().anyMatch(r -> r.isError())) {
                        subscribed = false;
                        state.down();
                        LOG.errorf("the broker refused the ingest subscriptions: %s (%s and %s)",
                                ack.getReasonCodes(), mqtt.subscription(), canaryTopic());
                    } else {
                        subscribed = true;
                        state.up();
                        LOG.infof("ingest subscribed to %s", mqtt.subscription());
                        dropRetired();
                    }
                });
    }

    /**
     * The ingest filters a hub may have left in its persistent session, but for the one configured: the session of a
     * hub that subscribed with the other (an earlier version's default, or a changed setting) keeps it, and every
     * message would then come twice, or not be split between replicas.
     */
    static List<String> retiredFilters(String configured) {
        return List.of(MqttSettings.PLAIN_SUBSCRIPTION, MqttSettings.SHARED_SUBSCRIPTION).stream()
                .filter(f -> !f.equals(configured)).toList();
    }

    private void dropRetired() {
        for (String filter : retiredFilters(mqtt.subscription())) {
            client.unsubscribeWith().topicFilter(filter).send().whenComplete((ack, e) -> {
                if (e == null && ack.getReasonCodes().stream().anyMatch(r -> r == Mqtt5UnsubAckReasonCode.SUCCESS)) {
                    LOG.infof("ingest dropped %s, left in its session from before", filter);
                }
            });
        }
    }

    private void disconnected(MqttClientDisconnectedContext ctx) {
        boolean wasUp = subscribed;
        subscribed = false;
        state.down();
        if (stopping) {
            ctx.getReconnector().reconnect(false);
            return;
        }
        String cause = ctx.getCause().getMessage() == null ? ctx.getCause().getClass().getSimpleName()
                : ctx.getCause().getMessage();
        int n = failures.incrementAndGet();
        if (wasUp || n == 1) {
            LOG.warnf("ingest disconnected from %s:%d (%s: %s); reconnecting", mqtt.host(), mqtt.port(),
                    ctx.getSource(), cause);
        } else if (failureLogs.allow()) {
            LOG.warnf("ingest still not connected to %s:%d after %d attempts: %s", mqtt.host(), mqtt.port(), n, cause);
        }
    }

    /** Before the embedded broker stops (priority 5): commit and acknowledge what is held, then leave the session. */
    void stop(@Observes @Priority(1) ShutdownEvent ev) {
        stopping = true;
        Mqtt5AsyncClient c = client;
        if (c == null) {
            return;
        }
        try {
            writer.flush().await().atMost(hub.dbTimeout());
        } catch (RuntimeException e) {
            LOG.warnf("final ingest flush failed (unacknowledged messages are redelivered): %s", e.toString());
        }
        try {
            c.disconnect().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.debugf("ingest disconnect: %s", e.toString());
        }
    }
}
