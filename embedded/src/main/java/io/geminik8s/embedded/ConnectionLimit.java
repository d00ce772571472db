package io.geminik8s.embedded;

import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.auth.SimpleAuthenticator;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.packets.connect.ConnackReasonCode;
import com.hivemq.extension.sdk.api.services.Services;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Refuses a client at CONNECT (reason "quota exceeded") while the broker holds {@code max} connections or more —
 * except clients whose id starts with {@code exemptPrefix}: the hub's own, which must get back in after a restart
 * even when agents took every slot. HiveMQ's {@code <max-connections>} cannot exempt anyone, hence an extension.
 * The count is HiveMQ's open-connections gauge, which includes the connection being decided.
 */
final class ConnectionLimit implements ExtensionMain {

    static final String OPEN_CONNECTIONS = "com.hivemq.networking.connections.current";

    private final long max;
    private final String exemptPrefix;
    private final AtomicLong refused = new AtomicLong();

    ConnectionLimit(long max, String exemptPrefix) {
        this.max = max;
        this.exemptPrefix = exemptPrefix;
    }

    long refused() {
        return refused.get();
    }

    @Override
    public void extensionStart(ExtensionStartInput input, ExtensionStartOutput output) {
        var gauge = Services.metricRegistry().getGauges().get(OPEN_CONNECTIONS);
        SimpleAuthenticator authenticator = (in, out) -> {
            String id = in.getClientInformation().getClientId();
            long open = gauge == null ? 0 : ((Number) gauge.getValue()).longValue();
            if (open > max && !id.startsWith(exemptPrefix)) {
                refused.incrementAndGet();
                out.failAuthentication(ConnackReasonCode.QUOTA_EXCEEDED, "this broker admits at most " + max + " clients");
            } else {
                out.authenticateSuccessfully();
            }
        };
        Services.securityRegistry().setAuthenticatorProvider(i -> authenticator);
    }

    @Override
    public void extensionStop(ExtensionStopInput input, ExtensionStopOutput output) {
    }
}
