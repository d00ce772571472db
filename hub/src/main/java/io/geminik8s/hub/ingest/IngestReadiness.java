package io.geminik8s.hub.ingest;

import io.geminik8s.hub.presence.PresenceWriter;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready only while ingest works end to end: connected with both subscriptions granted, and the hub's own canary
 * went through the broker and was committed in PostgreSQL within {@code gk8s.mqtt.canary-deadline}. So a deaf hub,
 * a lost subscription, a gone broker or an unreachable database each make it DOWN.
 */
@Readiness
@ApplicationScoped
public class IngestReadiness implements HealthCheck {

    private final IngestClient client;
    private final PresenceWriter writer;
    private final MqttSettings mqtt;

    public IngestReadiness(IngestClient client, PresenceWriter writer, MqttSettings mqtt) {
        this.client = client;
        this.writer = writer;
        this.mqtt = mqtt;
    }

    @Override
    public HealthCheckResponse call() {
        long committed = writer.canaryCommittedNanos();
        long ageMs = committed < 0 ? -1 : (System.nanoTime() - committed) / 1_000_000;
        boolean subscribed = client.subscribed();
        boolean fresh = committed >= 0 && ageMs <= mqtt.canaryDeadline().toMillis();
        String why = !subscribed ? "not connected or not subscribed to the broker"
                : committed < 0 ? "no canary committed yet"
                : !fresh ? "last canary committed " + ageMs + " ms ago (broker, ingest or database stalled)" : "ingesting";
        return HealthCheckResponse.named("ingest").status(subscribed && fresh)
                .withData("state", why)
                .withData("subscribed", subscribed)
                .withData("canaryAgeMs", ageMs)
                .withData("inFlight", writer.inFlight())
                .withData("oldestUnackedMs", writer.oldestUnackedNanos() / 1_000_000)
                .build();
    }
}
