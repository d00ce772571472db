package io.geminik8s.cli.mosquitto;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Revocation on Debian's Mosquitto 2.0.11 through the {@code crlfile} that {@code gk8s mosquitto-config --crlfile}
 * writes: once Mosquitto has read a new CRL (a SIGHUP, as {@code systemctl reload mosquitto}, or a restart), a revoked
 * node is refused at the TLS handshake while the other nodes connect; an out-of-date CRL refuses everyone; an
 * unreadable one stops Mosquitto at start and, at a reload, leaves it running without the check.
 */
class MosquittoCrlTest {

    private static final List<String> NODES = List.of("s1/a", "s1/b");
    private final List<Mqtt5AsyncClient> clients = new ArrayList<>();
    private TestPki pki;
    private Path crl;
    private GeneratedMosquitto broker;

    @AfterEach
    void stop() throws Exception {
        clients.stream().filter(c -> c.getState().isConnected()).forEach(Mqtt5AsyncClient::disconnect);
        if (broker != null) {
            broker.close();
        }
        if (crl != null) {
            Files.deleteIfExists(crl);
        }
    }

    private void start(List<TestPki.Issued> revoked) throws Exception {
        assumeTrue(GeneratedMosquitto.available(), "Debian's mosquitto is not installed: this test did not run");
        pki = new TestPki("gk8s crl test CA");
        crl = Files.createTempFile("gk8s-fleet", ".crl");
        writeCrl(revoked, Instant.now().plus(Duration.ofDays(1)));
        broker = new GeneratedMosquitto(pki, NODES, List.of("--crlfile", crl.toString()));
    }

    private void writeCrl(List<TestPki.Issued> revoked, Instant nextUpdate) throws Exception {
        Files.writeString(crl, pki.crl(revoked.stream().map(TestPki.Issued::cert).toList(),
                Instant.now().minusSeconds(60), nextUpdate));
    }

    @Test
    void aRevokedNodeIsRefusedOnceMosquittoReloadedTheNewCrlWhileItsPeerConnects() throws Exception {
        start(List.of());
        TestPki.Issued a = pki.issue("s1/a", false);
        TestPki.Issued b = pki.issue("s1/b", false);
        Mqtt5AsyncClient live = connect(a);
        connect(b);

        writeCrl(List.of(a), Instant.now().plus(Duration.ofDays(1)));
        broker.reload(); // systemctl reload mosquitto: Mosquitto 2.0.11 reads the listeners' TLS files again
        assertRefused(a);
        connect(b);
        // a reload does not drop a connection made before it: the revoked node still publishes (acknowledged)
        live.publishWith().topic("gk8s/v1/up/s1/a/event").payload(new byte[] {1}).qos(MqttQos.AT_LEAST_ONCE).send()
                .get(10, TimeUnit.SECONDS);
        assertTrue(live.getState().isConnected());

        broker.restart(); // a restart drops every connection; the revoked node cannot come back, its peer can
        assertRefused(a);
        connect(b);
        // the same node with a new certificate (enrolled again) is let in
        connect(pki.issue("s1/a", false));
    }

    @Test
    void anOutOfDateCrlRefusesEveryNode() throws Exception {
        start(List.of());
        TestPki.Issued b = pki.issue("s1/b", false);
        writeCrl(List.of(), Instant.now().minusSeconds(1));
        broker.reload();
        assertRefused(b);
        broker.restart();
        assertRefused(b);
        writeCrl(List.of(), Instant.now().plus(Duration.ofDays(1)));
        broker.reload();
        connect(b);
    }

    /**
     * Why {@code gk8s pki crl} checks what it fetched before it replaces the file: Mosquitto refuses to start on an
     * unreadable CRL, and a reload with one keeps running <em>without</em> the revocation check.
     */
    @Test
    void anUnreadableCrlStopsMosquittoAtStartAndAReloadWithItForgetsTheRevocations() throws Exception {
        start(List.of());
        TestPki.Issued a = pki.issue("s1/a", false);
        writeCrl(List.of(a), Instant.now().plus(Duration.ofDays(1)));
        broker.reload();
        assertRefused(a);

        Files.writeString(crl, "-----BEGIN X509 CRL-----\nbm90IGEgQ1JM\n-----END X509 CRL-----\n");
        broker.reload();
        // "Reloading config" is logged before the listeners' files are read again, the CRL's error after it
        broker.awaitLogged("Unable to load certificate revocation file");
        assertTrue(broker.alive());
        connect(a); // fails open: the revoked certificate is let in

        IllegalStateException e = assertThrows(IllegalStateException.class, broker::restart);
        assertTrue(e.getMessage().contains("did not start"), e.getMessage());
        writeCrl(List.of(a), Instant.now().plus(Duration.ofDays(1)));
        broker.restart();
        assertRefused(a);
    }

    private Mqtt5AsyncClient client(TestPki.Issued node) throws Exception {
        return Mqtt5Client.builder().identifier("gk8s-test-" + node.cert().getSerialNumber())
                .serverHost("127.0.0.1").serverPort(broker.nodePort).sslConfig().trustManagerFactory(pki.trust())
                .keyManagerFactory(node.keyManagers(pki.ca.cert())).applySslConfig().buildAsync();
    }

    private Mqtt5AsyncClient connect(TestPki.Issued node) throws Exception {
        Mqtt5AsyncClient c = client(node);
        c.connect().get(10, TimeUnit.SECONDS);
        clients.add(c);
        return c;
    }

    private void assertRefused(TestPki.Issued node) throws Exception {
        Mqtt5AsyncClient c = client(node);
        assertThrows(ExecutionException.class, () -> c.connect().get(10, TimeUnit.SECONDS),
                () -> node.cert().getSubjectX500Principal() + " was let in");
    }
}
