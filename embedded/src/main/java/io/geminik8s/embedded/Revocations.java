package io.geminik8s.embedded;

import com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor;
import com.hivemq.extension.sdk.api.packets.disconnect.DisconnectReasonCode;
import com.hivemq.extension.sdk.api.services.Services;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.logging.Logger;

/**
 * Revoked certificates of the fleet CA, by serial (hex): nodes' and others' (the hub's own client certificates). The
 * hub revokes one by publishing a retained message on {@code gk8s/v1/hub/revoked/<serial>}; only the hub's own
 * connections are listened to (nodes may not publish there anyway). A revoked serial is refused at CONNECT, whoever
 * the client claims to be, and a client connected with it — a hub connection too — is disconnected at once.
 * At start the list is read back from the broker's retained messages; until then certificate holders are asked to
 * come back later (SERVER_UNAVAILABLE) rather than let in unchecked.
 */
final class Revocations {

    static final String TOPIC_PREFIX = "gk8s/v1/hub/revoked/";
    private static final Pattern SERIAL = Pattern.compile("[0-9a-f]{1,40}");
    private static final Logger LOG = Logger.getLogger(Revocations.class.getName());

    private final Set<String> revoked = ConcurrentHashMap.newKeySet();
    private final Map<String, String> serialByClient = new ConcurrentHashMap<>();
    private final Set<String> hubClients = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.CompletableFuture<Void> loaded = new java.util.concurrent.CompletableFuture<>();

    boolean loaded() {
        return loaded.isDone();
    }

    /** Completes once the retained revocations were read (the broker's start waits for it). */
    java.util.concurrent.CompletableFuture<Void> whenLoaded() {
        return loaded;
    }

    boolean isRevoked(String serial) {
        return revoked.contains(serial);
    }

    /** A client let in: the hub (whose publications are listened to) or a node, with its certificate's serial if any. */
    void connected(String clientId, String serial, boolean hub) {
        if (hub) {
            hubClients.add(clientId);
        } else {
            hubClients.remove(clientId);
        }
        if (serial == null) {
            serialByClient.remove(clientId);
        } else {
            serialByClient.put(clientId, serial);
        }
    }

    /** Reads the retained revocations; certificate holders are admitted once this completed. */
    void load() {
        Services.retainedMessageStore().iterateAllRetainedMessages((ctx, publish) -> add(publish.getTopic()))
                .whenComplete((v, e) -> {
                    if (e != null) {
                        LOG.severe("cannot read revoked certificates from retained messages: " + e);
                    }
                    loaded.complete(null);
                });
    }

    /** Registers the listener on the hub's connections. */
    void listen() {
        PublishInboundInterceptor fromHub = (in, out) -> add(in.getPublishPacket().getTopic());
        Services.initializerRegistry().setClientInitializer((in, client) -> {
            if (hubClients.contains(in.getClientInformation().getClientId())) {
                client.addPublishInboundInterceptor(fromHub);
            }
        });
    }

    private void add(String topic) {
        if (!topic.startsWith(TOPIC_PREFIX)) {
            return;
        }
        String serial = topic.substring(TOPIC_PREFIX.length());
        if (!SERIAL.matcher(serial).matches() || !revoked.add(serial)) {
            return;
        }
        serialByClient.forEach((clientId, s) -> {
            if (s.equals(serial)) {
                LOG.info("disconnecting " + clientId + ": its certificate " + serial + " was revoked");
                Services.clientService().disconnectClient(clientId, false, DisconnectReasonCode.NOT_AUTHORIZED,
                        "certificate revoked");
            }
        });
    }
}
