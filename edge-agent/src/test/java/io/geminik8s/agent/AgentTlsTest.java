package io.geminik8s.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.geminik8s.embedded.EmbeddedBroker;
import io.geminik8s.embedded.FreePort;
import io.geminik8s.protocol.Birth;
import io.geminik8s.protocol.Health;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mTLS against a broker that requires client certificates: PEM and PKCS12 material, and refusal without one. */
class AgentTlsTest {

    @TempDir
    Path dir;
    private TestPki pki;
    private EmbeddedBroker broker;
    private int tlsPort;
    private TestClient hub;
    private Agent agent;

    @BeforeEach
    void brokerRequiringClientCertificates() throws Exception {
        pki = new TestPki();
        pki.pkcs12(dir.resolve("broker.p12"), "broker-pw", pki.issue("CN=broker", "127.0.0.1"));
        pki.truststore(dir.resolve("clients-ca.p12"), "trust-pw");
        tlsPort = FreePort.find();
        broker = new EmbeddedBroker(dir.resolve("broker"), 0, false, new EmbeddedBroker.Tls(tlsPort,
                dir.resolve("broker.p12"), "broker-pw", dir.resolve("clients-ca.p12"), "trust-pw", true)).start();
        hub = new TestClient(broker.port(), "test-hub", false); // the test's own view on the loopback listener
        TestPki.pem(dir.resolve("ca.pem"), "CERTIFICATE", pki.caCert().getEncoded());
    }

    @AfterEach
    void stop() {
        if (agent != null) {
            agent.close();
        }
        hub.close();
        broker.close();
    }

    private Map<String, String> tls(Map<String, String> material) {
        var env = new java.util.HashMap<>(material);
        env.put("GK8S_AGENT_BROKER_URL", "ssl://127.0.0.1:" + tlsPort);
        env.put("GK8S_AGENT_BROKER_ALLOW_PLAINTEXT", "false");
        env.put("GK8S_AGENT_CERTS_WATCH", dir.resolve("node.pem").toString());
        return env;
    }

    @Test
    void connectsWithPemCertificateAndKeyAndReportsTheCertificatesExpiry() throws Exception {
        TestPki.Issued node = pki.issue("CN=store-1/a", null);
        TestPki.pem(dir.resolve("node.pem"), "CERTIFICATE", node.cert().getEncoded());
        TestPki.keyPem(dir.resolve("node.key"), node.keys().getPrivate());
        agent = new Agent(AgentLinkTest.config(dir.resolve("agent"), broker.port(), tls(Map.of(
                "GK8S_AGENT_TLS_CERT", dir.resolve("node.pem").toString(),
                "GK8S_AGENT_TLS_KEY", dir.resolve("node.key").toString(),
                "GK8S_AGENT_TLS_CA", dir.resolve("ca.pem").toString()))), Clock.systemUTC());
        agent.start();
        await().atMost(Duration.ofSeconds(15)).until(() -> !hub.all(Birth.class).isEmpty()
                && hub.all(Health.class).stream().anyMatch(h -> h.certs() != null));
        Health h = hub.all(Health.class).stream().filter(x -> x.certs() != null).findFirst().orElseThrow();
        assertEquals(node.cert().getNotAfter().getTime(), h.certs().get(0).notAfter());
    }

    @Test
    void connectsWithPkcs12Keystore() throws Exception {
        TestPki.Issued node = pki.issue("CN=store-1/a", null);
        TestPki.pem(dir.resolve("node.pem"), "CERTIFICATE", node.cert().getEncoded());
        pki.pkcs12(dir.resolve("node.p12"), "node-pw", node);
        pki.truststore(dir.resolve("trust.p12"), "t-pw");
        agent = new Agent(AgentLinkTest.config(dir.resolve("agent"), broker.port(), tls(Map.of(
                "GK8S_AGENT_TLS_KEYSTORE", dir.resolve("node.p12").toString(),
                "GK8S_AGENT_TLS_KEYSTORE_PASSWORD", "node-pw",
                "GK8S_AGENT_TLS_TRUSTSTORE", dir.resolve("trust.p12").toString(),
                "GK8S_AGENT_TLS_TRUSTSTORE_PASSWORD", "t-pw"))), Clock.systemUTC());
        agent.start();
        await().atMost(Duration.ofSeconds(15)).until(() -> !hub.all(Birth.class).isEmpty());
    }

    @Test
    void withoutAClientCertificateTheBrokerRefusesTheAgent() throws Exception {
        TestPki.pem(dir.resolve("node.pem"), "CERTIFICATE", pki.caCert().getEncoded());
        agent = new Agent(AgentLinkTest.config(dir.resolve("agent"), broker.port(), tls(Map.of(
                "GK8S_AGENT_TLS_CA", dir.resolve("ca.pem").toString()))), Clock.systemUTC());
        agent.start();
        // holds for the whole window: several connection attempts (backoff <= 1 s) all refused
        await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6)).until(() -> !agent.connected()
                && hub.all(Birth.class).isEmpty());
        assertFalse(agent.connected());
    }
}
