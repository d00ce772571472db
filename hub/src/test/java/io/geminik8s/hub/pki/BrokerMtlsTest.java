package io.geminik8s.hub.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import io.geminik8s.embedded.EmbeddedBroker;
import io.geminik8s.embedded.FreePort;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded broker's mTLS listener with certificates from the fleet CA: identity from the certificate's CN, a
 * node speaks only for itself, and certificates for another node, a disagreeing user name or another CA are refused.
 * Real embedded HiveMQ, real TLS.
 */
class BrokerMtlsTest {

    private static final String SECRET = "the-hub-secret-of-this-test";
    @TempDir
    Path dir;
    private FleetCa ca;
    private EmbeddedBroker broker;
    private int tlsPort;

    @BeforeEach
    void start() {
        ca = CaFiles.open(dir.resolve("pki"), dir.resolve("pki/ca.passphrase"), true);
        tlsPort = FreePort.find();
        broker = new EmbeddedBroker(dir.resolve("broker"), 0, false,
                ca.brokerTls(dir.resolve("tls"), tlsPort, List.of("localhost", "127.0.0.1")))
                .access(SECRET, false).start();
    }

    @AfterEach
    void stop() {
        broker.stop();
    }

    private Mqtt5BlockingClient overTls(String clientId, NodeTls tls) throws Exception {
        return Mqtt5Client.builder().identifier(clientId).serverHost("localhost").serverPort(tlsPort)
                .sslConfig(tls.ssl()).buildBlocking();
    }

    private static Optional<Mqtt5ConnAckReasonCode> refusal(Mqtt5BlockingClient c, String user) {
        try {
            var connect = c.connectWith();
            if (user != null) {
                connect = connect.simpleAuth().username(user).applySimpleAuth();
            }
            connect.send();
            return Optional.empty();
        } catch (Mqtt5ConnAckException e) {
            return Optional.of(e.getMqttMessage().getReasonCode());
        }
    }

    @Test
    void aNodeWithItsCertificatePublishesOnlyUnderItsOwnTopics() throws Exception {
        Mqtt5BlockingClient hub = Mqtt5Client.builder().identifier("gk8s-hub-1").serverHost("127.0.0.1")
                .serverPort(broker.port()).buildBlocking();
        hub.connectWith().simpleAuth().username("gk8s-hub").password(SECRET.getBytes(StandardCharsets.UTF_8))
                .applySimpleAuth().send();
        var received = hub.publishes(MqttGlobalPublishFilter.ALL);
        hub.subscribeWith().topicFilter("gk8s/v1/up/#").qos(MqttQos.AT_LEAST_ONCE).send();

        var mode = java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(
                dir.resolve("broker/conf/config.xml")));
        assertEquals("rw-------", mode, "the broker's configuration names its key store's password");
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                java.nio.file.Files.getPosixFilePermissions(dir.resolve("tls"))));
        NodeTls a = NodeTls.issue(ca, "s1", "a");
        Mqtt5BlockingClient node = overTls("gk8s-s1-a", a);
        assertEquals(Optional.empty(), refusal(node, null), "its own certificate, its own client id");
        node.publishWith().topic("gk8s/v1/up/s1/a/health").qos(MqttQos.AT_LEAST_ONCE).payload(new byte[]{1}).send();
        assertEquals("gk8s/v1/up/s1/a/health", received.receive(10, TimeUnit.SECONDS).orElseThrow().getTopic().toString());
        assertFalse(node.subscribeWith().topicFilter("gk8s/v1/down/s1/a/witness").send().getReasonCodes().get(0).isError());

        for (String topic : List.of("gk8s/v1/up/s1/b/health", "gk8s/v1/up/s2/a/health", "gk8s/v1/down/s1/desired")) {
            Mqtt5BlockingClient again = overTls("gk8s-s1-a", a);
            assertEquals(Optional.empty(), refusal(again, null));
            String outcome;
            try {
                again.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(new byte[]{2}).send();
                outcome = "accepted";
            } catch (com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException e) {
                outcome = e.getMqttMessage().getReasonCode().toString();
            } catch (RuntimeException closed) {
                outcome = "disconnected";
            }
            assertTrue(outcome.equals("NOT_AUTHORIZED") || outcome.equals("disconnected"), topic + ": " + outcome);
        }
        assertTrue(received.receive(500, TimeUnit.MILLISECONDS).isEmpty(), "nothing refused reached the hub");
        hub.disconnect();
    }

    @Test
    void anotherNodesCertificateADisagreeingUserNameAndTheHubsIdAreRefused() throws Exception {
        var notAuthorized = Optional.of(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED);
        NodeTls b = NodeTls.issue(ca, "s1", "b");
        assertEquals(notAuthorized, refusal(overTls("gk8s-s1-a", b), null), "b's certificate with a's client id");
        NodeTls a = NodeTls.issue(ca, "s1", "a");
        assertEquals(notAuthorized, refusal(overTls("gk8s-s1-a", a), "s1/b"), "a user name that disagrees");
        assertEquals(notAuthorized, refusal(overTls("gk8s-hub-1", a), null), "a node taking the hub's client id");
        assertEquals(notAuthorized, refusal(overTls("gk8s-hub-1", a), "gk8s-hub"), "the hub's user without its secret");
        assertEquals(Optional.empty(), refusal(overTls("gk8s-s1-a", a), "s1/a"), "a user name that agrees");
        assertTrue(broker.unauthorizedConnections() >= 4);
    }

    @Test
    void aCertificateFromAnotherCaOrNoneIsRefusedAtTheHandshake() throws Exception {
        FleetCa stranger = CaFiles.open(dir.resolve("other-pki"), dir.resolve("other-pki/ca.passphrase"), true);
        NodeTls forged = NodeTls.issue(stranger, "s1", "a");
        // the broker's certificate is from our CA: trust it, but present the stranger's client certificate
        NodeTls presented = new NodeTls(forged.keys(), forged.chain(), ca.root());
        assertThrows(RuntimeException.class, () -> overTls("gk8s-s1-a", presented).connect(), "unknown CA");
        Mqtt5BlockingClient noCert = Mqtt5Client.builder().identifier("gk8s-s1-a").serverHost("localhost")
                .serverPort(tlsPort).sslConfig(com.hivemq.client.mqtt.MqttClientSslConfig.builder()
                        .trustManagerFactory(trusting(ca)).build()).buildBlocking();
        assertThrows(RuntimeException.class, () -> noCert.connectWith().simpleAuth().username("s1/a").applySimpleAuth()
                .send(), "no client certificate");
    }

    @Test
    void aRevokedCertificateStaysRefusedAcrossABrokerRestart() throws Exception {
        broker.stop();
        int port = FreePort.find();
        var tls = ca.brokerTls(dir.resolve("tls"), tlsPort, List.of("localhost", "127.0.0.1"));
        broker = new EmbeddedBroker(dir.resolve("persistent"), port, true, tls).access(SECRET, false).start();
        NodeTls a = NodeTls.issue(ca, "s1", "a");
        NodeTls b = NodeTls.issue(ca, "s1", "b");
        Mqtt5BlockingClient liveA = overTls("gk8s-s1-a", a);
        liveA.connect();
        Mqtt5BlockingClient hub = Mqtt5Client.builder().identifier("gk8s-hub-1").serverHost("127.0.0.1")
                .serverPort(port).buildBlocking();
        hub.connectWith().simpleAuth().username("gk8s-hub").password(SECRET.getBytes(StandardCharsets.UTF_8))
                .applySimpleAuth().send();
        String serial = a.chain().get(0).getSerialNumber().toString(16);
        hub.publishWith().topic("gk8s/v1/hub/revoked/" + serial).retain(true).qos(MqttQos.AT_LEAST_ONCE)
                .payload("s1/a".getBytes(StandardCharsets.UTF_8)).send();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> !liveA.getState().isConnected());
        hub.disconnect();

        broker.stop();
        broker = new EmbeddedBroker(dir.resolve("persistent"), port, true, tls).access(SECRET, false).start();
        assertEquals(Optional.of(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED), refusal(overTls("gk8s-s1-a", a), null),
                "still revoked after the restart");
        Mqtt5BlockingClient liveB = overTls("gk8s-s1-b", b);
        assertEquals(Optional.empty(), refusal(liveB, null), "another certificate is not");
        liveB.disconnect();
        Mqtt5BlockingClient node = overTls("gk8s-s1-b", b);
        node.connect();
        assertThrows(RuntimeException.class, () -> node.publishWith().topic("gk8s/v1/hub/revoked/"
                + b.chain().get(0).getSerialNumber().toString(16)).retain(true).qos(MqttQos.AT_LEAST_ONCE)
                .payload(new byte[0]).send(), "a node may not revoke");
        assertEquals(Optional.empty(), refusal(overTls("gk8s-s1-b", b), null), "and its attempt revoked nothing");
    }

    private static javax.net.ssl.TrustManagerFactory trusting(FleetCa ca) throws Exception {
        var ts = java.security.KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("root", ca.root());
        var tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        return tmf;
    }
}
