package io.geminik8s.agent.link;

import io.geminik8s.agent.config.AgentConfig;
import io.geminik8s.agent.link.mqtt.Connection;
import io.geminik8s.agent.link.mqtt.PacketReader;
import io.geminik8s.agent.link.mqtt.Packets;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.LongFunction;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;

/**
 * The agent's MQTT 5 connection: persistent session (clean start false + session expiry) so QoS 1 commands queued
 * while the node was away arrive later; a retained Last Will built fresh for every connection attempt; reconnect
 * forever with {@link Backoff}. QoS 1 publishes not acknowledged when a connection ends are sent again on the next
 * one (same packet identifiers, DUP set); publishes made while disconnected wait for it. The listener runs on the
 * agent's own executor, never on the connection's threads; publish futures complete on the link's threads, so
 * what depends on them must not block (as on HiveMQ's Netty threads before).
 */
public final class Link {

    private static final Logger LOG = Logger.getLogger(Link.class.getName());
    /** The largest packet the agent accepts (announced in CONNECT): a protocol message is at most 64 KiB. */
    static final int MAXIMUM_PACKET_SIZE = 256 * 1024;
    private static final int CONNECT_TIMEOUT_MS = 10_000;
    /** A PINGREQ not answered within this (or the keepalive, if shorter) means a dead connection. */
    private static final long PING_TIMEOUT_MS = 60_000;
    /** Publishes waiting for a connection or a free slot in the broker's Receive Maximum, at most. */
    static final int MAX_WAITING = 20_000;
    /** QoS 1 publishes the broker may have unacknowledged to the agent (each is acknowledged once handled). */
    static final int RECEIVE_MAXIMUM = 32;
    /** A connection that lasted this long was a success: the next loss starts the backoff from its beginning. */
    private static final long HEALTHY_MS = 10_000;

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
    private final long sessionBase;
    private final SSLContext tls;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(daemon("gk8s-mqtt"));
    private final Outbox state = new Outbox();
    private volatile Connection connection;
    private volatile boolean stopping;
    private volatile long session;
    private volatile BooleanSupplier urgent = () -> false;
    private long connections;
    private int failures;
    private long connectedAt; // nanoTime of the current connection's CONNACK
    private boolean reconnectAsked;
    private int keepaliveS;
    private long pingSent; // nanoTime of an unanswered PINGREQ, 0 if none
    /** Set by {@link #reconnect()}: the next disconnect reconnects at once; completed by the next connect. */
    private final AtomicReference<CompletableFuture<Long>> reconnecting = new AtomicReference<>();

    public Link(AgentConfig config, Backoff backoff, Listener listener, LongFunction<Will> willFor,
                List<String> subscriptions, Executor callbacks, long sessionBase) {
        this.config = config;
        this.backoff = backoff;
        this.listener = listener;
        this.willFor = willFor;
        this.subscriptions = List.copyOf(subscriptions);
        this.callbacks = callbacks;
        this.sessionBase = sessionBase;
        this.tls = config.tlsEnabled() ? TlsFactory.context(config.tls()) : null;
    }

    /** While {@code urgent} answers true (asked at every failed attempt), reconnects wait no longer than the first. */
    public void reconnectQuicklyWhile(BooleanSupplier urgent) {
        this.urgent = urgent;
    }

    /** Connects (asynchronously; retries with backoff until {@link #stop()}). */
    public void start() {
        later(this::connectOnce, 0);
    }

    private void connectOnce() {
        try {
            connectAndStart();
        } catch (IOException | RuntimeException e) {
            lost(null, e); // no connection was started: try again with the backoff
        }
    }

    /** One attempt; throws only when no connection was started (a started one that fails is closed and lost). */
    private void connectAndStart() throws IOException {
        if (stopping) {
            return;
        }
        long s;
        synchronized (this) {
            s = sessionBase + ++connections;
            session = s;
        }
        Will will = willFor.apply(s);
        byte[] connect = Packets.connect(config.clientId(), config.site() + "/" + config.node(),
                (int) config.keepalive().toSeconds(), config.sessionExpiry().toSeconds(), MAXIMUM_PACKET_SIZE,
                RECEIVE_MAXIMUM, new Packets.Will(will.topic(), will.payload(), config.willDelay().toSeconds()));
        Connection c = Connection.open(config.brokerUri().getHost(), config.brokerUri().getPort(), tls,
                CONNECT_TIMEOUT_MS, connect, MAXIMUM_PACKET_SIZE);
        try {
            startOn(c, s);
        } catch (RuntimeException e) {
            if (c != connection) {
                c.close(null);
                throw e;
            }
            c.close(e); // started: its handler calls lost()
        }
    }

    private void startOn(Connection c, long s) throws IOException {
        PacketReader.ConnAck ack = c.connAck();
        if (ack.reason() >= 0x80) {
            c.close(null);
            throw new IOException("the broker refused the connection: reason 0x" + Integer.toHexString(ack.reason())
                    + (ack.reasonString() == null ? "" : " (" + ack.reasonString() + ")"));
        }
        int keepalive = ack.serverKeepAlive() >= 0 ? ack.serverKeepAlive() : (int) config.keepalive().toSeconds();
        List<Runnable> handedOver;
        synchronized (this) {
            if (stopping) {
                c.close(null);
                return;
            }
            connection = c;
            connectedAt = System.nanoTime();
            keepaliveS = keepalive;
            pingSent = 0;
            c.start(new Handler());
            handedOver = state.connected(c, ack, subscriptions);
        }
        handedOver.forEach(Runnable::run);
        // the keepalive in effect: the broker may have imposed its own (MQTT 5 Server Keep Alive)
        LOG.info(() -> "connected to " + config.brokerUri() + " (session " + s + ", keepalive " + keepalive + " s)");
        callbacks.execute(() -> listener.onConnected(s));
        CompletableFuture<Long> waiting = reconnecting.getAndSet(null);
        if (waiting != null) {
            waiting.complete(s);
        }
        if (keepalive > 0) {
            later(() -> keepalive(c), TimeUnit.SECONDS.toMillis(keepalive));
        }
    }

    /** Pings when nothing was read or written for a keepalive; closes when a ping is not answered. */
    private void keepalive(Connection c) {
        long next;
        synchronized (this) {
            if (c != connection || c.closed()) {
                return;
            }
            long now = System.nanoTime();
            long ka = TimeUnit.SECONDS.toNanos(keepaliveS);
            long timeout = Math.min(ka, TimeUnit.MILLISECONDS.toNanos(PING_TIMEOUT_MS));
            if (pingSent != 0 && now - pingSent >= timeout) {
                next = -1;
            } else if (pingSent == 0 && (now - c.lastRead() >= ka || now - c.lastWrite() >= ka)) {
                pingSent = now;
                c.send(Packets.pingreq());
                next = timeout;
            } else if (pingSent != 0) {
                next = pingSent + timeout - now;
            } else {
                next = Math.min(c.lastRead(), c.lastWrite()) + ka - now;
            }
        }
        if (next < 0) {
            c.close(new IOException("no PINGRESP within " + keepaliveS + " s"));
            return;
        }
        later(() -> keepalive(c), Math.max(TimeUnit.NANOSECONDS.toMillis(next), 100));
    }

    /** A connection ended ({@code c}) or an attempt failed ({@code c} null): reconnect with the backoff. */
    private void lost(Connection c, Throwable cause) {
        long delay;
        int attempt;
        synchronized (this) {
            if (c != null && c != connection) {
                return;
            }
            boolean lasted = c != null && System.nanoTime() - connectedAt >= TimeUnit.MILLISECONDS.toNanos(HEALTHY_MS);
            connection = null;
            state.disconnected();
            if (stopping) {
                return;
            }
            if (c != null && reconnectAsked) { // reconnect() closed it: no backoff
                reconnectAsked = false;
                LOG.info("reconnecting to present a new certificate");
                later(this::connectOnce, 0);
                return;
            }
            if (lasted) { // accepted and then kicked at once, again and again, is not a success
                failures = 0;
            }
            attempt = failures++;
            delay = backoff.delayMs(attempt, urgent.getAsBoolean());
        }
        if (attempt == 0 || attempt % 10 == 0) { // one line per state change, then one per ten attempts
            LOG.log(Level.WARNING, "link down ({0}); attempt {1}, reconnect in {2} ms",
                    new Object[] {cause == null ? "closed" : cause.getMessage(), attempt + 1, delay});
        }
        later(this::connectOnce, delay);
    }

    private void later(Runnable task, long delayMs) {
        try {
            timer.schedule(task, delayMs, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // stop() shut the timer down: nothing more to do
        }
    }

    /** Reads on the connection's thread; nothing here blocks. */
    private final class Handler implements Connection.Handler {
        @Override
        public void onPacket(Connection c, PacketReader.Incoming packet) {
            if (packet instanceof PacketReader.Publish p) {
                callbacks.execute(() -> {
                    try {
                        listener.onMessage(p.topic(), p.payload());
                    } finally {
                        if (p.qos() == 1) { // acknowledged once handled; unacknowledged, it comes again
                            c.send(Packets.puback(p.packetId()));
                        }
                    }
                });
            } else if (packet instanceof PacketReader.PubAck a) {
                state.acknowledged(c, a);
            } else if (packet instanceof PacketReader.SubAck a) {
                state.subscribed(a);
            } else if (packet instanceof PacketReader.PingResp) {
                synchronized (Link.this) {
                    if (c == connection) {
                        pingSent = 0;
                    }
                }
            } else if (packet instanceof PacketReader.Disconnect d) {
                c.close(new IOException("the broker disconnected: reason 0x" + Integer.toHexString(d.reason())
                        + (d.reasonString() == null ? "" : " (" + d.reasonString() + ")")));
            } else {
                c.close(new PacketReader.ProtocolError("unexpected " + packet.getClass().getSimpleName()));
            }
        }

        @Override
        public void onClosed(Connection c, Throwable cause) {
            lost(c, cause);
        }
    }

    /**
     * Closes the connection normally (the broker drops the Last Will, so the node is never shown offline for it)
     * and connects again at once, with a new TLS handshake: how a renewed certificate is presented. Completes with
     * the new connection's session; when not connected now, with the next connection's.
     */
    public CompletableFuture<Long> reconnect() {
        CompletableFuture<Long> next = new CompletableFuture<>();
        if (!reconnecting.compareAndSet(null, next)) {
            return reconnecting.get(); // one reconnect at a time; its callers share the outcome
        }
        Connection c;
        synchronized (this) {
            c = connection;
            reconnectAsked = c != null;
        }
        if (c != null) {
            c.send(Packets.disconnect(0, null));
            later(() -> c.closeAfterWrites(5_000), 0);
        }
        return next;
    }

    /**
     * Gives up a connection that no longer answers ({@code why}); it reconnects with the backoff. The DISCONNECT keeps
     * the Last Will (reason 0x04), as a connection lost without one would: if the node does not come back within the
     * will delay, the broker publishes it.
     */
    public void drop(String why) {
        Connection c = connection;
        if (c == null || stopping) {
            return;
        }
        LOG.warning(() -> "dropping the connection: " + why);
        c.send(Packets.disconnect(Packets.DISCONNECT_WITH_WILL, why));
        later(() -> c.closeAfterWrites(1_000), 0);
    }

    public boolean connected() {
        Connection c = connection;
        return c != null && !c.closed();
    }

    public long session() {
        return session;
    }

    /**
     * Publishes; QoS 1 completes on the broker's PUBACK (exceptionally when it refuses: reason ≥ 0x80), QoS 0 once
     * queued on a connection. Waits for a connection when there is none.
     */
    public CompletableFuture<Void> publish(String topic, byte[] payload, int qos, boolean retain) {
        if (stopping) {
            return CompletableFuture.failedFuture(new IllegalStateException("the link is stopped"));
        }
        return state.publish(topic, payload, qos, retain);
    }

    /** Graceful stop: the caller publishes its own offline status first; a normal DISCONNECT drops the will. */
    public void stop() {
        Connection c;
        synchronized (this) { // with connectAndStart's check: no connection comes up after this
            stopping = true;
            c = connection;
        }
        if (c != null) {
            c.send(Packets.disconnect(0, null));
            c.closeAfterWrites(5_000);
        }
        timer.shutdownNow();
        state.stopped();
    }

    static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
