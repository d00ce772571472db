package io.geminik8s.agent.link;

import com.hivemq.client.mqtt.MqttClientExecutorConfig;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.lifecycle.Mqtt5ClientDisconnectedContext;
import com.hivemq.client.mqtt.mqtt5.message.connect.Mqtt5Connect;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.geminik8s.agent.config.AgentConfig;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The agent's MQTT 5 connection: persistent session (clean start false + session expiry) so QoS 1 commands queued
 * while the node was away arrive later; a retained Last Will built fresh for every connection attempt; reconnect
 * forever with {@link Backoff}. Callbacks run on the agent's own executor, never on netty threads.
 */
public final class Link {

    private static final Logger LOG = Logger.getLogger(Link.class.getName());

    /** What the agent does on link events. */
    public interface Listener {
        /** Connected with connection session {@code session}; publish birth and drain the journal here. */
        void onConnected(long session);

        void onMessage(String topic, byte[] payload);
    }

    /** A will topic and payload for a given connection session. */
    public record Will(String topic, byte[] payload) {
    }

    private final AgentConfig config;
    private final Backoff backoff;
    private final Listener listener;
    private final LongFunction<Will> willFor;
    private final List<String> subscriptions;
    private final Executor callbacks;
    private final ExecutorService netty = Executors.newFixedThreadPool(1, daemon("gk8s-mqtt"));
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final AtomicBoolean connected = new AtomicBoolean();
    private final AtomicInteger failures = new AtomicInteger();
    private final AtomicLong connections = new AtomicLong();
    private final long sessionBase;
    private volatile long session;
    private volatile BooleanSupplier urgent = () -> false;
    private final Mqtt5AsyncClient client;
    /** Set by {@link #reconnect()}: the next disconnect reconnects at once; completed by the next connect. */
    private final java.util.concurrent.atomic.AtomicReference<CompletableFuture<Long>> reconnecting =
            new java.util.concurrent.atomic.AtomicReference<>();

    public Link(AgentConfig config, Backoff backoff, Listener listener, LongFunction<Will> willFor,
                List<String> subscriptions, Executor callbacks, long sessionBase) {
        this.config = config;
        this.backoff = backoff;
        this.listener = listener;
        this.willFor = willFor;
        this.subscriptions = List.copyOf(subscriptions);
        this.callbacks = callbacks;
        this.sessionBase = sessionBase;
        var builder = Mqtt5Client.builder().identifier(config.clientId())
                .serverHost(config.brokerUri().getHost()).serverPort(config.brokerUri().getPort())
                // daemon netty threads: a disconnected client must not keep the JVM alive (hivemq-mqtt-client#498)
                .executorConfig(MqttClientExecutorConfig.builder().nettyExecutor(netty).nettyThreads(1).build())
                .addConnectedListener(ctx -> {
                    connected.set(true);
                    failures.set(0);
                    long s = session;
                    // the keepalive in effect: the broker may have imposed its own (MQTT 5 Server Keep Alive)
                    int keepalive = ctx.getClientConfig().getConnectionConfig()
                            .map(c -> c.getKeepAlive()).orElse((int) config.keepalive().toSeconds());
                    LOG.info(() -> "connected to " + config.brokerUri() + " (session " + s + ", keepalive "
                            + keepalive + " s)");
                    subscribe();
                    callbacks.execute(() -> listener.onConnected(s));
                    CompletableFuture<Long> waiting = reconnecting.getAndSet(null);
                    if (waiting != null) {
                        waiting.complete(s);
                    }
                })
                .addDisconnectedListener(ctx -> {
                    connected.set(false);
                    if (stopping.get()) {
                        ctx.getReconnector().reconnect(false);
                        return;
                    }
                    if (reconnecting.get() != null && failures.get() == 0) { // asked for: no backoff
                        LOG.info("reconnecting to present a new certificate");
                        ((Mqtt5ClientDisconnectedContext) ctx).getReconnector().reconnect(true)
                                .connect(nextConnect()).delay(0, TimeUnit.MILLISECONDS);
                        failures.incrementAndGet(); // a failing reconnect goes on with the backoff
                        return;
                    }
                    int attempt = failures.getAndIncrement();
                    long delay = backoff.delayMs(attempt, urgent.getAsBoolean());
                    if (attempt == 0 || attempt % 10 == 0) { // one line per state change, then one per ten attempts
                        LOG.log(Level.WARNING, "link down ({0}); attempt {1}, reconnect in {2} ms",
                                new Object[] {ctx.getCause().getMessage(), attempt + 1, delay});
                    }
                    ((Mqtt5ClientDisconnectedContext) ctx).getReconnector().reconnect(true)
                            .connect(nextConnect())
                            .delay(delay, TimeUnit.MILLISECONDS);
                });
        if (config.tlsEnabled()) {
            builder = builder.sslConfig(TlsFactory.sslConfig(config.tls()));
        }
        this.client = builder.buildAsync();
        client.publishes(MqttGlobalPublishFilter.ALL, p -> listener.onMessage(p.getTopic().toString(),
                p.getPayloadAsBytes()), callbacks);
    }

    /** While {@code urgent} answers true (asked at every failed attempt), reconnects wait no longer than the first. */
    public void reconnectQuicklyWhile(BooleanSupplier urgent) {
        this.urgent = urgent;
    }

    /** Connects (asynchronously; retries with backoff until {@link #stop()}). */
    public void start() {
        client.connect(nextConnect());
    }

    /** Subscriptions are renewed on every connect: cheap, and right even if the broker lost the session. */
    private void subscribe() {
        for (String topic : subscriptions) {
            client.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send()
                    .whenComplete((ack, err) -> {
                        if (err != null) {
                            LOG.warning("subscribe " + topic + " failed: " + err.getMessage());
                        }
                    });
        }
    }

    private Mqtt5Connect nextConnect() {
        session = sessionBase + connections.incrementAndGet();
        Will will = willFor.apply(session);
        return Mqtt5Connect.builder().cleanStart(false)
                // the node's identity for the broker's authorization (with mTLS, its certificate's CN must agree)
                .simpleAuth().username(config.site() + "/" + config.node()).applySimpleAuth()
                .sessionExpiryInterval(config.sessionExpiry().toSeconds())
                .keepAlive((int) config.keepalive().toSeconds())
                .willPublish().topic(will.topic()).payload(will.payload()).qos(MqttQos.AT_LEAST_ONCE).retain(true)
                .delayInterval(config.willDelay().toSeconds())
                .applyWillPublish().build();
    }

    /**
     * Closes the connection normally (the broker drops the Last Will, so the node is never shown offline for it)
     * and connects again at once, with a new TLS handshake: how a renewed certificate is presented. Completes with
     * the new connection's session; when not connected now, with the next connection's.
     */
    public CompletableFuture<Long> reconnect() {
        CompletableFuture<Long> next = new CompletableFuture<>();
        reconnecting.set(next);
        if (connected.get()) {
            client.disconnect().whenComplete((ok, err) -> {
                if (err != null) {
                    LOG.fine("disconnect for reconnect: " + err.getMessage());
                }
            });
        }
        return next;
    }

    /**
     * Gives up a connection that no longer answers ({@code why}); it reconnects with the backoff. The DISCONNECT keeps
     * the Last Will (reason 0x04), as a connection lost without one would: if the node does not come back within the
     * will delay, the broker publishes it.
     */
    public void drop(String why) {
        if (!connected.get() || stopping.get()) {
            return;
        }
        LOG.warning(() -> "dropping the connection: " + why);
        client.disconnectWith().reasonCode(Mqtt5DisconnectReasonCode.DISCONNECT_WITH_WILL_MESSAGE)
                .reasonString(why).send().whenComplete((ok, err) -> {
                    if (err != null) {
                        LOG.fine("disconnect: " + err.getMessage());
                    }
                });
    }

    public boolean connected() {
        return connected.get();
    }

    public long session() {
        return session;
    }

    public CompletableFuture<Void> publish(String topic, byte[] payload, int qos, boolean retain) {
        return client.publishWith().topic(topic).payload(payload).qos(MqttQos.fromCode(qos)).retain(retain).send()
                .thenAccept(result -> result.getError().ifPresent(e -> {
                    throw new IllegalStateException("publish refused: " + e.getMessage(), e);
                }));
    }

    /** Graceful stop: the caller publishes its own offline status first; a normal DISCONNECT drops the will. */
    public void stop() {
        stopping.set(true);
        try {
            if (connected.get()) {
                client.disconnect().get(5, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            LOG.fine("disconnect: " + e.getMessage());
        } finally {
            netty.shutdownNow();
        }
    }

    static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
