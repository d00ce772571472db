package io.geminik8s.hub.enrollment;

import io.geminik8s.hub.ingest.MqttSettings;
import io.geminik8s.hub.pki.Pem;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The client certificate this hub connects to the broker with ({@code gk8s.mqtt.tls-cert}, read at start), if any.
 * Recorded in PostgreSQL at start, so that once the hub runs with a newer one the old serial can be revoked
 * ({@link CertificateRevocationResource}); revoking the one in use is refused (the hub would lock itself out).
 */
@ApplicationScoped
public class HubCertificate {

    private static final Logger LOG = Logger.getLogger(HubCertificate.class);

    private final Optional<X509Certificate> certificate;
    private final CertificateStore store;

    public HubCertificate(MqttSettings mqtt, CertificateStore store) {
        this.store = store;
        this.certificate = mqtt.tlsCert().map(file -> {
            try {
                return Pem.readCertificates(Files.readString(file)).get(0);
            } catch (IOException e) {
                throw new UncheckedIOException("gk8s.mqtt.tls-cert: " + e.getMessage(), e);
            }
        });
    }

    /** The serial (lower-case hex) of the certificate in use, if the hub has one. */
    public Optional<String> serialHex() {
        return certificate.map(c -> c.getSerialNumber().toString(16));
    }

    void record(@Observes StartupEvent ev) {
        certificate.ifPresent(c -> store.record(c, Instant.now()).subscribe().with(
                ok -> LOG.infof("the hub's client certificate %s (%s) is recorded: once the hub runs with a newer"
                        + " one it can be revoked by serial", serialHex().orElseThrow(), c.getSubjectX500Principal()),
                e -> LOG.warnf("could not record the hub's client certificate %s (%s): revoking it later will need"
                        + " the certificate itself", serialHex().orElseThrow(), e.getMessage())));
    }
}
