package io.geminik8s.hub.enrollment;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.pki.CaFiles;
import io.geminik8s.hub.pki.FleetCa;
import io.geminik8s.hub.pki.NodeTls;
import io.geminik8s.hub.pki.Pem;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Revoking a certificate of the fleet intermediate that is no node's (the hub's client certificates) through
 * {@code POST /api/v1/pki/revocations}: listed in the CRL, refused by the embedded broker at connect, a live
 * connection dropped; never the certificate the running hub uses. Real hub, embedded PostgreSQL and HiveMQ; the hub
 * itself connects over mTLS with its certificate.
 */
@QuarkusTest
@WithTestResource(value = HubCertificateInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class CertificateRevocationTest {

    @Inject
    CertificateStore store;

    private static Response revoke(String bearer, String serial, String reason, String certificate) {
        Map<String, String> body = new HashMap<>();
        body.put("serial", serial);
        body.put("reason", reason);
        body.put("certificate", certificate);
        var req = RestAssured.given().contentType("application/json").body(body);
        if (bearer != null) {
            req = req.header("Authorization", "Bearer " + bearer);
        }
        return req.post("/api/v1/pki/revocations");
    }

    private static Path issueHub() {
        Path dir = HubCertificateInfrastructure.home.resolve("hub-" + UUID.randomUUID());
        CaFiles.issueHub(HubCertificateInfrastructure.ca(), dir, Duration.ofDays(30));
        return dir;
    }

    private static X509Certificate certificate(Path dir) throws Exception {
        return Pem.readCertificates(Files.readString(dir.resolve(CaFiles.HUB_CERT))).get(0);
    }

    /** A client on the mTLS listener with the hub certificate in {@code dir}, as the hub (its user and secret). */
    private static Mqtt5BlockingClient asHub(Path dir) throws Exception {
        X509Certificate c = certificate(dir);
        var key = Pem.readPrivateKey(Files.readString(dir.resolve(CaFiles.HUB_KEY)));
        FleetCa ca = HubCertificateInfrastructure.ca();
        NodeTls tls = new NodeTls(new KeyPair(c.getPublicKey(), key), java.util.List.of(c, ca.intermediate()), ca.root());
        return Mqtt5Client.builder().identifier("gk8s-hub-test-" + UUID.randomUUID().toString().substring(0, 8))
                .serverHost("localhost").serverPort(HubCertificateInfrastructure.tlsPort).sslConfig(tls.ssl())
                .simpleAuth().username("gk8s-hub").password(HubCertificateInfrastructure.HUB_SECRET
                        .getBytes(StandardCharsets.UTF_8)).applySimpleAuth().buildBlocking();
    }

    /** Empty when it connected (and is disconnected again), else the refusal's reason string. */
    private static Optional<String> refusal(Path dir) throws Exception {
        Mqtt5BlockingClient c = asHub(dir);
        try {
            c.connect();
            c.disconnect();
            return Optional.empty();
        } catch (Mqtt5ConnAckException e) {
            assertEquals(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED, e.getMqttMessage().getReasonCode());
            return Optional.of(e.getMqttMessage().getReasonString().map(Object::toString).orElse(""));
        }
    }

    private static X509CRL crl() throws Exception {
        String pem = RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.VIEWER_TOKEN)
                .get("/api/v1/pki/crl").then().statusCode(200).extract().asString();
        return (X509CRL) CertificateFactory.getInstance("X.509")
                .generateCRL(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void theRunningHubsCertificateIsRefusedWith409() throws Exception {
        await().atMost(Duration.ofSeconds(30)).until(() -> RestAssured.given().get("/q/health/ready").then()
                .extract().statusCode() == 200); // the hub is in, over mTLS with its certificate
        X509Certificate running = certificate(HubCertificateInfrastructure.home.resolve("hub-client"));
        String serial = running.getSerialNumber().toString(16);
        Response r = revoke(HubInfrastructure.ADMIN_TOKEN, serial.toUpperCase(), "rotated", null);
        assertEquals(409, r.statusCode(), r.asString());
        assertTrue(r.jsonPath().getString("detail").contains("Issue a new hub certificate"), r.asString());
        assertTrue(r.jsonPath().getString("detail").contains("restart the hub with it, then revoke the old serial"));
        assertNull(crl().getRevokedCertificate(running.getSerialNumber()), "not revoked");
        assertEquals(200, RestAssured.given().get("/q/health/ready").then().extract().statusCode());
    }

    @Test
    void aHubCertificateGivenAsPemIsListedInTheCrlAndRefusedAtConnect() throws Exception {
        Path old = issueHub();
        Path spare = issueHub();
        X509Certificate c = certificate(old);
        String serial = c.getSerialNumber().toString(16);
        assertEquals(Optional.empty(), refusal(old), "not revoked yet: the hub's credentials let it in");

        Response unknown = revoke(HubInfrastructure.ADMIN_TOKEN, serial, "retired", null);
        assertEquals(404, unknown.statusCode(), unknown.asString());
        assertTrue(unknown.jsonPath().getString("detail").startsWith("serial:"));

        String pem = Files.readString(old.resolve(CaFiles.HUB_CERT));
        Response first = revoke(HubInfrastructure.ADMIN_TOKEN, serial, "retired", pem);
        assertEquals(200, first.statusCode(), first.asString());
        assertEquals(serial, first.jsonPath().getString("serial"));
        assertEquals("CN=gk8s-hub", first.jsonPath().getString("subject"));
        assertEquals("retired", first.jsonPath().getString("reason"));
        assertEquals("boss", first.jsonPath().getString("revokedBy"));
        Response again = revoke(HubInfrastructure.ADMIN_TOKEN, serial, "said twice", null); // known now
        assertEquals(200, again.statusCode(), again.asString());
        assertEquals(first.jsonPath().getString("revokedAt"), again.jsonPath().getString("revokedAt"), "idempotent");
        assertEquals("retired", again.jsonPath().getString("reason"), "the first revocation's reason stays");

        X509CRL crl = crl();
        assertNotNull(crl.getRevokedCertificate(c.getSerialNumber()), "listed in the CRL");
        assertNull(crl.getRevokedCertificate(certificate(spare).getSerialNumber()));
        await().atMost(Duration.ofSeconds(10)).until(() -> refusal(old).equals(Optional.of("certificate revoked")));
        assertEquals(Optional.empty(), refusal(spare), "another hub certificate still gets in");
    }

    @Test
    void aRecordedHubCertificateIsRevokedBySerialAndItsLiveConnectionDropped() throws Exception {
        Path earlier = issueHub();
        X509Certificate c = certificate(earlier);
        // as the hub records the certificate it runs with at start: a hub that ran with this one before
        store.record(c, Instant.now()).await().atMost(Duration.ofSeconds(10));
        Mqtt5BlockingClient live = asHub(earlier);
        live.connect();
        String withColons = String.join(":", c.getSerialNumber().toString(16).toUpperCase().split("(?<=\\G..)"));
        Response r = revoke(HubInfrastructure.ADMIN_TOKEN, withColons, "superseded", null);
        assertEquals(200, r.statusCode(), r.asString());
        await().atMost(Duration.ofSeconds(10)).until(() -> !live.getState().isConnected());
        assertEquals(Optional.of("certificate revoked"), refusal(earlier));
        assertNotNull(crl().getRevokedCertificate(c.getSerialNumber()));
    }

    @Test
    void onlyAnAdminRevokesAndBadInputNamesItsField() throws Exception {
        Path dir = issueHub();
        String serial = certificate(dir).getSerialNumber().toString(16);
        String pem = Files.readString(dir.resolve(CaFiles.HUB_CERT));
        var noToken = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://localhost:" + RestAssured.port + "/api/v1/pki/revocations"))
                .header("Content-Type", "application/json").POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                        "{\"serial\": \"" + serial + "\", \"reason\": \"x\"}")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()); // RestAssured's filter would add a token
        assertEquals(401, noToken.statusCode(), noToken.body());
        assertEquals(401, revoke("wrong", serial, "x", pem).statusCode());
        assertEquals(403, revoke(HubInfrastructure.VIEWER_TOKEN, serial, "x", pem).statusCode());
        assertEquals(403, revoke(HubInfrastructure.OPERATOR_TOKEN, serial, "x", pem).statusCode());
        assertNull(crl().getRevokedCertificate(new BigInteger(serial, 16)), "nothing revoked by the refused calls");

        Response malformed = revoke(HubInfrastructure.ADMIN_TOKEN, "not-hex", "x", null);
        assertEquals(400, malformed.statusCode());
        assertTrue(malformed.jsonPath().getString("detail").startsWith("serial:"), malformed.asString());
        Response noReason = revoke(HubInfrastructure.ADMIN_TOKEN, serial, " ", pem);
        assertEquals(400, noReason.statusCode());
        assertTrue(noReason.jsonPath().getString("detail").startsWith("reason:"), noReason.asString());
        Path elsewhere = Files.createTempDirectory("gk8s-other-ca");
        FleetCa other = CaFiles.open(elsewhere, elsewhere.resolve("ca.passphrase"), true);
        X509Certificate foreign = CaFiles.issueHub(other, elsewhere.resolve("hub"), Duration.ofDays(1)).certificate();
        Response notOurs = revoke(HubInfrastructure.ADMIN_TOKEN, foreign.getSerialNumber().toString(16), "x",
                Pem.certificates(java.util.List.of(foreign)));
        assertEquals(400, notOurs.statusCode());
        assertTrue(notOurs.jsonPath().getString("detail").startsWith("certificate:"), notOurs.asString());
        Response mismatch = revoke(HubInfrastructure.ADMIN_TOKEN, "abc", "x", pem);
        assertEquals(400, mismatch.statusCode());
        assertTrue(mismatch.jsonPath().getString("detail").startsWith("certificate:"), mismatch.asString());
    }
}
