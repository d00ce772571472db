package io.geminik8s.hub.ingest;

import io.geminik8s.hub.pki.Pem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;

/**
 * The hub's TLS client certificate for the broker ({@code gk8s.mqtt.tls-cert}, {@code gk8s.mqtt.tls-key}: PEM, as
 * {@code CaFiles issue-hub} writes them), for a broker that knows the hub by mTLS (docs/security.md). Read at start;
 * an unreadable or mismatched pair stops the hub.
 */
final class MqttClientKey {

    private MqttClientKey() {
    }

    static KeyManagerFactory keyManagers(Path certFile, Path keyFile) {
        try {
            List<X509Certificate> chain = Pem.readCertificates(Files.readString(certFile));
            if (chain.isEmpty()) {
                throw new IllegalStateException("gk8s.mqtt.tls-cert: no certificate in " + certFile);
            }
            PrivateKey key = Pem.readPrivateKey(Files.readString(keyFile));
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("gk8s-hub", key, new char[0], chain.toArray(Certificate[]::new));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, new char[0]);
            return kmf;
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("gk8s.mqtt.tls-cert/tls-key: cannot read " + certFile + " or " + keyFile
                    + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("gk8s.mqtt.tls-key " + keyFile + ": " + e.getMessage(), e);
        }
    }
}
