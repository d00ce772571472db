package io.geminik8s.agent.link;

import io.geminik8s.agent.link.mqtt.Connection;
import io.geminik8s.agent.link.mqtt.PacketReader;
import io.geminik8s.agent.link.mqtt.Packets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Logger;

/**
 * What the agent has given the link to send: QoS 1 publishes in flight (by packet identifier, until their PUBACK;
 * sent again with DUP on the next connection), publishes waiting for a connection or for room under the broker's
 * Receive Maximum, and subscriptions waiting for their SUBACK. Never calls back into {@link Link} and completes
 * futures outside its lock. A topic published a second time on a connection gets a Topic Alias (while the broker
 * allows more): the health topic's ~30 bytes leave every sample. Aliases belong to one connection and every PUBLISH
 * is encoded for the connection that sends it, so one sent again after a reconnect carries its topic.
 */
final class Outbox {

    private static final Logger LOG = Logger.getLogger(Outbox.class.getName());

    private record Outgoing(String topic, byte[] payload, int qos, boolean retain, CompletableFuture<Void> done) {
    }

    private final Map<Integer, Outgoing> inFlight = new LinkedHashMap<>();
    private final ArrayDeque<Outgoing> waiting = new ArrayDeque<>();
    private final Map<Integer, String> subscribing = new HashMap<>();
    private final Map<String, Integer> aliases = new HashMap<>();
    private final java.util.Set<String> seenOnce = new java.util.HashSet<>();
    private Connection connection;
    private int aliasMaximum;
    private int window = 65_535;
    private long maximumPacketSize;
    private int maximumQos = 2;
    private boolean retainAvailable = true;
    private int lastId;

    /**
     * Subscribes, sends again what was in flight (with DUP, as many as the new window allows, when the broker kept
     * the session; as new publishes otherwise), hands over what waits; returns completions to run after the locks.
     */
    synchronized List<Runnable> connected(Connection c, PacketReader.ConnAck ack, List<String> subscriptions) {
        connection = c;
        window = ack.receiveMaximum() > 0 ? ack.receiveMaximum() : 65_535;
        aliases.clear();
        seenOnce.clear();
        aliasMaximum = ack.topicAliasMaximum();
        maximumPacketSize = ack.maximumPacketSize();
        maximumQos = ack.maximumQos();
        retainAvailable = ack.retainAvailable();
        for (String filter : subscriptions) {
            int id = nextId();
            subscribing.put(id, filter);
            c.send(Packets.subscribe(id, filter));
        }
        List<Runnable> done = new ArrayList<>();
        List<Map.Entry<Integer, Outgoing>> unanswered = new ArrayList<>(inFlight.entrySet());
        inFlight.clear();
        List<Outgoing> again = new ArrayList<>();
        for (Map.Entry<Integer, Outgoing> e : unanswered) {
            if (ack.sessionPresent() && inFlight.size() < window) {
                byte[] packet = encode(e.getValue(), e.getKey(), true, done);
                if (packet != null) {
                    inFlight.put(e.getKey(), e.getValue());
                    c.send(packet);
                }
            } else {
                again.add(e.getValue()); // first in line, with a new packet identifier
            }
        }
        for (int i = again.size() - 1; i >= 0; i--) {
            waiting.addFirst(again.get(i));
        }
        drain(done);
        return done;
    }

    synchronized void disconnected() {
        connection = null;
        subscribing.clear();
    }

    /** Queues a publish; a topic or payload MQTT cannot carry fails at once, nothing else is changed. */
    CompletableFuture<Void> publish(String topic, byte[] payload, int qos, boolean retain) {
        try {
            Packets.publish(topic, payload, qos, retain, 1, false);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("publish refused: " + e.getMessage(), e));
        }
        CompletableFuture<Void> future = new CompletableFuture<>();
        List<Runnable> done = new ArrayList<>();
        synchronized (this) {
            if (waiting.size() >= Link.MAX_WAITING) {
                return CompletableFuture.failedFuture(new IllegalStateException(
                        "publish refused: " + waiting.size() + " publishes already wait for the broker"));
            }
            waiting.add(new Outgoing(topic, payload, qos, retain, future));
            drain(done);
        }
        done.forEach(Runnable::run);
        return future;
    }

    void acknowledged(Connection c, PacketReader.PubAck ack) {
        Outgoing o;
        List<Runnable> done = new ArrayList<>();
        synchronized (this) {
            if (c != connection) {
                return; // a late answer on a closed connection: the publish goes again on the current one
            }
            o = inFlight.remove(ack.packetId());
            drain(done);
        }
        done.forEach(Runnable::run);
        if (o == null) {
            return; // a PUBACK for nothing in flight: ignored
        }
        if (ack.reason() >= 0x80) {
            o.done().completeExceptionally(new IllegalStateException("publish refused: reason 0x"
                    + Integer.toHexString(ack.reason()) + (ack.reasonString() == null ? "" : " (" + ack.reasonString()
                    + ")") + " on " + o.topic()));
        } else {
            o.done().complete(null);
        }
    }

    synchronized void subscribed(PacketReader.SubAck ack) {
        String filter = subscribing.remove(ack.packetId());
        for (int reason : ack.reasons()) {
            if (reason >= 0x80) {
                LOG.warning("subscribe " + filter + " failed: reason 0x" + Integer.toHexString(reason));
            }
        }
    }

    void stopped() {
        List<Outgoing> all;
        synchronized (this) {
            all = new ArrayList<>(inFlight.values());
            all.addAll(waiting);
            inFlight.clear();
            waiting.clear();
            connection = null;
        }
        all.forEach(o -> o.done().completeExceptionally(new IllegalStateException("the link is stopped")));
    }

    /** Hands waiting publishes to the connection while the window allows; QoS 0 ones complete (into {@code done}). */
    private void drain(List<Runnable> done) {
        while (connection != null && !waiting.isEmpty()) {
            Outgoing o = waiting.peek();
            if (o.qos() == 1 && inFlight.size() >= window) {
                return;
            }
            waiting.poll();
            int id = o.qos() == 1 ? nextId() : 0;
            byte[] packet = encode(o, id, false, done);
            if (packet == null) {
                continue; // refused, its future failed
            }
            if (o.qos() == 0) {
                boolean sent = connection.send(packet);
                done.add(sent ? () -> o.done().complete(null)
                        : () -> o.done().completeExceptionally(new IllegalStateException("connection closed")));
                continue;
            }
            inFlight.put(id, o);
            connection.send(packet);
        }
    }

    /**
     * The PUBLISH for the current connection — with its topic, its topic and a new alias, or its alias alone — or
     * null when the broker announced it would refuse it (size, QoS, retain): then its future fails, in {@code done}.
     */
    private byte[] encode(Outgoing o, int packetId, boolean dup, List<Runnable> done) {
        String refusal = o.qos() > maximumQos ? "the broker takes QoS " + maximumQos + " at most"
                : o.retain() && !retainAvailable ? "the broker takes no retained messages" : null;
        Integer alias = aliases.get(o.topic());
        boolean newAlias = alias == null && aliases.size() < aliasMaximum && seenOnce.contains(o.topic());
        byte[] packet = alias != null ? Packets.publish("", o.payload(), o.qos(), o.retain(), packetId, dup, alias)
                : Packets.publish(o.topic(), o.payload(), o.qos(), o.retain(), packetId, dup,
                newAlias ? aliases.size() + 1 : 0);
        if (refusal == null && maximumPacketSize > 0 && packet.length > maximumPacketSize) {
            refusal = "a packet of " + packet.length + " bytes; the broker takes " + maximumPacketSize + " at most";
        }
        if (refusal != null) {
            String why = refusal;
            done.add(() -> o.done().completeExceptionally(new IllegalStateException("publish refused: " + why
                    + " (" + o.topic() + ")")));
            return null;
        }
        if (newAlias) {
            aliases.put(o.topic(), aliases.size() + 1);
        } else if (alias == null) {
            if (seenOnce.size() > 256) { // topics seen once are only candidates: forget them rather than grow
                seenOnce.clear();
            }
            seenOnce.add(o.topic());
        }
        return packet;
    }

    private int nextId() {
        for (int i = 0; i < 65_535; i++) {
            lastId = lastId % 65_535 + 1;
            if (!inFlight.containsKey(lastId) && !subscribing.containsKey(lastId)) {
                return lastId;
            }
        }
        throw new IllegalStateException("no free packet identifier");
    }
}
