package io.geminik8s.hub.pki;

import com.hivemq.client.mqtt.MqttClientSslConfig;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

/** A node's key and certificate from a fleet CA, as the MQTT client's TLS settings (tests). */
public record NodeTls(KeyPair keys, List<X509Certificate> chain, X509Certificate root) {

    public static NodeTls issue(FleetCa ca, String site, String node) throws Exception {
        KeyPair keys = Csrs.p256();
        var issued = ca.issueNode(NodeCsr.check(Csrs.pem("CN=" + site + "/" + node, keys), site, node),
                Duration.ofDays(30));
        return new NodeTls(keys, issued.chain(), ca.root());
    }

    public MqttClientSslConfig ssl() throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("node", keys.getPrivate(), new char[0], chain.toArray(new Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("root", root);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        return MqttClientSslConfig.builder().keyManagerFactory(kmf).trustManagerFactory(tmf)
                .protocols(List.of("TLSv1.3")).build();
    }
}
