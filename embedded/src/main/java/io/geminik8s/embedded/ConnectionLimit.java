package io.geminik8s.embedded;

import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.auth.SimpleAuthenticator;
import com.hivemq.extension.sdk.api.auth.parameter.SimpleAuthInput;
import com.hivemq.extension.sdk.api.auth.parameter.SimpleAuthOutput;
import com.hivemq.extension.sdk.api.auth.parameter.TopicPermission;
import com.hivemq.extension.sdk.api.packets.auth.DefaultAuthorizationBehaviour;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.packets.connect.ConnackReasonCode;
import com.hivemq.extension.sdk.api.services.Services;
import com.hivemq.extension.sdk.api.services.builder.Builders;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The embedded broker's gate, at CONNECT: with {@link BrokerAccess} (the zero-install hub), who the client is and
 * what it may do — the hub everything; a node publish only under {@code gk8s/v1/up/<site>/<node>/} and subscribe only
 * to its site's desired state and its own {@code down/} topics, no shared subscriptions, everything else denied;
 * anyone else refused. And the connection limit: refused with "quota exceeded" while the broker holds {@code max}
 * connections or more, except the hub (by its secret; without access control, by its client-id prefix), which must
 * get back in after a restart even when agents took every slot. HiveMQ's {@code <max-connections>} cannot exempt
 * anyone, hence an extension. The count is HiveMQ's open-connections gauge, which includes the connection decided.
 */
final class ConnectionLimit implements ExtensionMain {

    static final String OPEN_CONNECTIONS = "com.hivemq.networking.connections.current";

    private final long max;
    private final String exemptPrefix;
    private final BrokerAccess access;
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong unauthorized = new AtomicLong();
    private final Revocations revocations = new Revocations();

    /** {@code max} -1: no limit; {@code access} null: no access control (tests that play any node). */
    ConnectionLimit(long max, String exemptPrefix, BrokerAccess access) {
        this.max = max;
        this.exemptPrefix = exemptPrefix;
        this.access = access;
    }

    long refused() {
        return refused.get();
    }

    /** Completes when the extension may decide about certificate holders (revocations read back). */
    java.util.concurrent.CompletableFuture<Void> ready() {
        return access == null ? java.util.concurrent.CompletableFuture.completedFuture(null) : revocations.whenLoaded();
    }

    long unauthorized() {
        return unauthorized.get();
    }

    @Override
    public void extensionStart(ExtensionStartInput input, ExtensionStartOutput output) {
        var gauge = Services.metricRegistry().getGauges().get(OPEN_CONNECTIONS);
        SimpleAuthenticator authenticator = (in, out) -> {
            String id = in.getClientInformation().getClientId();
            // any certificate of the fleet CA, a node's or not (the hub's own), is checked against the revocations
            // before anything else: a revoked one is refused for that, whoever it claims to be
            String serial = access == null ? null : in.getConnectionInformation().getClientTlsInformation()
                    .flatMap(t -> t.getClientCertificate()).map(c -> c.getSerialNumber().toString(16)).orElse(null);
            if (serial != null && !revocations.loaded()) {
                out.failAuthentication(ConnackReasonCode.SERVER_UNAVAILABLE, "starting: try again");
                return;
            }
            if (serial != null && revocations.isRevoked(serial)) {
                unauthorized.incrementAndGet();
                out.failAuthentication(ConnackReasonCode.NOT_AUTHORIZED, "certificate revoked");
                return;
            }
            BrokerAccess.Decision who = access == null ? null : access.decide(id, in.getConnectPacket().getUserName(),
                    in.getConnectPacket().getPassword(), in.getConnectionInformation().getClientTlsInformation()
                            .flatMap(t -> t.getClientCertificate()));
            if (who != null && who.refused() != null) {
                unauthorized.incrementAndGet();
                out.failAuthentication(ConnackReasonCode.NOT_AUTHORIZED, who.refused());
                return;
            }
            boolean hub = who == null ? id.startsWith(exemptPrefix) : who.hub();
            long open = gauge == null ? 0 : ((Number) gauge.getValue()).longValue();
            if (max > 0 && open > max && !hub) {
                refused.incrementAndGet();
                out.failAuthentication(ConnackReasonCode.QUOTA_EXCEEDED, "this broker admits at most " + max + " clients");
                return;
            }
            if (who != null && !who.hub()) {
                permitNode(out, who.site(), who.node());
            }
            if (who != null) {
                revocations.connected(id, serial, who.hub());
            }
            out.authenticateSuccessfully();
        };
        Services.securityRegistry().setAuthenticatorProvider(i -> authenticator);
        if (access != null) {
            revocations.listen();
            revocations.load();
        }
    }

    private static void permitNode(SimpleAuthOutput out, String site, String node) {
        var permissions = out.getDefaultPermissions();
        permissions.add(Builders.topicPermission().topicFilter("gk8s/v1/up/" + site + "/" + node + "/+")
                .activity(TopicPermission.MqttActivity.PUBLISH).type(TopicPermission.PermissionType.ALLOW).build());
        for (String filter : new String[]{"gk8s/v1/down/" + site + "/desired", "gk8s/v1/down/" + site + "/" + node + "/+"}) {
            permissions.add(Builders.topicPermission().topicFilter(filter)
                    .activity(TopicPermission.MqttActivity.SUBSCRIBE)
                    .sharedSubscription(TopicPermission.SharedSubscription.NOT_SHARED)
                    .type(TopicPermission.PermissionType.ALLOW).build());
        }
        permissions.setDefaultBehaviour(DefaultAuthorizationBehaviour.DENY);
    }

    @Override
    public void extensionStop(ExtensionStopInput input, ExtensionStopOutput output) {
    }
}
