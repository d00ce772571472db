package io.geminik8s.hub.ingest;

import io.geminik8s.hub.pki.Pem;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import org.jboss.logging.Logger;

/**
 * {@code gk8s_mqtt_client_certificate_expiry_seconds}: how long the hub's own client certificate
 * ({@code gk8s.mqtt.tls-cert}) is still valid, for alerting; only registered where the hub has one. The hub reads it
 * at start, so after renewing it ({@code CaFiles issue-hub}) restart the hub.
 */
@ApplicationScoped
public class ClientCertificateGauge {

    private static final Logger LOG = Logger.getLogger(ClientCertificateGauge.class);
    private static final Duration WARN = Duration.ofDays(30);

    void start(@Observes StartupEvent ev, MqttSettings mqtt, MeterRegistry registry) {
        if (mqtt.tlsCert().isEmpty()) {
            return;
        }
        Instant notAfter;
        try {
            notAfter = Pem.readCertificates(Files.readString(mqtt.tlsCert().get())).get(0).getNotAfter().toInstant();
        } catch (IOException e) {
            throw new UncheckedIOException("gk8s.mqtt.tls-cert: " + e.getMessage(), e);
        }
        Gauge.builder("gk8s.mqtt.client.certificate.expiry.seconds", () -> Duration.between(Instant.now(), notAfter)
                        .toSeconds()).description("Seconds until the hub's MQTT client certificate expires")
                .register(registry);
        if (Duration.between(Instant.now(), notAfter).compareTo(WARN) < 0) {
            LOG.warnf("the hub's MQTT client certificate %s expires at %s: issue a new one (CaFiles issue-hub) and"
                    + " restart the hub", mqtt.tlsCert().get(), notAfter);
        }
    }
}
