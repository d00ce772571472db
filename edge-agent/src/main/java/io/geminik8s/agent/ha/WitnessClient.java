package io.geminik8s.agent.ha;

import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.Kind;
import io.geminik8s.protocol.SchemaVersion;
import io.geminik8s.protocol.Topics;
import io.geminik8s.protocol.WitnessReply;
import io.geminik8s.protocol.WitnessRequest;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Witness requests over the agent's MQTT link: publish on {@code up/…/witness}, complete when the reply with the
 * same id arrives on {@code down/…/witness}, fail after {@code timeout}. A late reply is dropped: the supervisor has
 * asked again by then.
 */
public final class WitnessClient implements WitnessPort {

    /** Publishes a payload on a topic with QoS 1 (the agent's link). */
    public interface Publisher {
        CompletableFuture<Void> publish(String topic, byte[] payload);
    }

    private final String site;
    private final String node;
    private final Codec codec;
    private final Publisher publisher;
    private final Duration timeout;
    private final AtomicLong ids = new AtomicLong();
    private final String idPrefix = Long.toString(System.currentTimeMillis(), 36);
    private final Map<String, CompletableFuture<WitnessReply>> pending = new ConcurrentHashMap<>();
    private volatile long lastAskNanos = System.nanoTime() - Long.MAX_VALUE / 4;
    private volatile long askBeforeNanos = lastAskNanos;

    public WitnessClient(String site, String node, Codec codec, Publisher publisher, Duration timeout) {
        this.site = site;
        this.node = node;
        this.codec = codec;
        this.publisher = publisher;
        this.timeout = timeout;
    }

    @Override
    public CompletableFuture<WitnessReply> ask(WitnessRequest.Op op, long epoch, String peer, Long sinceLastAckMs) {
        askBeforeNanos = lastAskNanos;
        lastAskNanos = System.nanoTime();
        String id = node + "-" + idPrefix + "-" + ids.incrementAndGet();
        WitnessRequest r = new WitnessRequest(SchemaVersion.CURRENT.toString(), id, site, node,
                System.currentTimeMillis(), op, epoch, peer, sinceLastAckMs);
        CompletableFuture<WitnessReply> reply = new CompletableFuture<WitnessReply>()
                .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
        pending.put(id, reply);
        reply.whenComplete((ok, err) -> pending.remove(id));
        publisher.publish(Topics.up(site, node, Kind.WITNESS), codec.encode(r)).whenComplete((ok, err) -> {
            if (err != null) {
                reply.completeExceptionally(err);
            }
        });
        return reply;
    }

    /**
     * Whether this node asked the witness at least twice within {@code window}: it is failing over or fenced, states
     * that ask every {@code ha.hub-retry-ms}; a healthy primary's lease check, once every 30 s, is not.
     */
    public boolean askingRepeatedly(Duration window) {
        return System.nanoTime() - askBeforeNanos < window.toNanos();
    }

    /** A reply from the hub (routed here by the agent). */
    public void onReply(WitnessReply reply) {
        CompletableFuture<WitnessReply> f = pending.get(reply.id());
        if (f != null) {
            f.complete(reply);
        }
    }
}
