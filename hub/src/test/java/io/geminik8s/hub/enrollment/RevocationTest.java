package io.geminik8s.hub.enrollment;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.pki.Csrs;
import io.geminik8s.hub.pki.NodeTls;
import io.geminik8s.hub.pki.Pem;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A revoked node certificate (by either endpoint) is refused at connect and its live connection dropped; other nodes
 * stay.
 */
@QuarkusTest
@WithTestResource(value = TrustInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class RevocationTest {

    record Node(String site, String node, NodeTls tls, String serial) {
        Mqtt5BlockingClient client() throws Exception {
            return Mqtt5Client.builder().identifier("gk8s-" + site + "-" + node).serverHost("localhost")
                    .serverPort(TrustInfrastructure.tlsPort).sslConfig(tls.ssl()).buildBlocking();
        }
    }

    private static Node enroll(String site, String node, String token) throws Exception {
        KeyPair keys = Csrs.p256();
        JsonPath answer = RestAssured.given().header(EnrollResource.CLAIM_HEADER, token).contentType("application/json")
                .body(Map.of("site", site, "node", node, "csr", Csrs.pem("CN=" + site + "/" + node, keys)))
                .post("/enroll/v1").then().statusCode(200).extract().jsonPath();
        return new Node(site, node, new NodeTls(keys, Pem.readCertificates(answer.getString("chain")),
                Pem.readCertificates(answer.getString("ca")).get(0)), answer.getString("serial"));
    }

    private static int revoke(String serial, String bearer) {
        return RestAssured.given().header("Authorization", "Bearer " + bearer)
                .post("/api/v1/enrollments/" + serial + "/revoke").then().extract().statusCode();
    }

    @Test
    void aRevokedNodeIsDisconnectedAndRefused() throws Exception {
        String site = "rv-" + UUID.randomUUID().toString().substring(0, 8);
        String token = RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN)
                .post("/api/v1/sites/" + site + "/claims").then().statusCode(201).extract().path("token");
        Node a = enroll(site, "a", token);
        Node b = enroll(site, "b", token);
        Mqtt5BlockingClient liveA = a.client();
        liveA.connect();
        Mqtt5BlockingClient liveB = b.client();
        liveB.connect();

        assertEquals(403, revoke(a.serial(), HubInfrastructure.OPERATOR_TOKEN), "revocation is the admin's");
        assertEquals(404, revoke("abcdef", HubInfrastructure.ADMIN_TOKEN));
        assertEquals(400, revoke("not-hex", HubInfrastructure.ADMIN_TOKEN));
        assertTrue(liveA.getState().isConnected());
        assertEquals(200, revoke(a.serial(), HubInfrastructure.ADMIN_TOKEN));

        await().atMost(Duration.ofSeconds(10)).until(() -> !liveA.getState().isConnected());
        try {
            a.client().connect();
            throw new AssertionError("a revoked certificate connected");
        } catch (Mqtt5ConnAckException e) {
            assertEquals(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED, e.getMqttMessage().getReasonCode());
        }
        assertTrue(liveB.getState().isConnected(), "the other node stays connected");
        String revokedAt = RestAssured.given().get("/api/v1/enrollments?site=" + site).then().statusCode(200)
                .extract().jsonPath().getString("find { it.node == 'a' }.revokedAt");
        assertTrue(revokedAt != null && !revokedAt.isEmpty(), "the API lists it revoked");
        assertEquals(200, revoke(a.serial(), HubInfrastructure.ADMIN_TOKEN), "repeatable");
        liveB.disconnect();
    }

    /** {@code POST /api/v1/pki/revocations} (any certificate by serial, with a reason) does the same for a node's. */
    @Test
    void aNodeRevokedBySerialWithAReasonIsDisconnectedAndRefused() throws Exception {
        String site = "rv-" + UUID.randomUUID().toString().substring(0, 8);
        String token = RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN)
                .post("/api/v1/sites/" + site + "/claims").then().statusCode(201).extract().path("token");
        Node a = enroll(site, "a", token);
        Mqtt5BlockingClient live = a.client();
        live.connect();
        JsonPath r = RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN)
                .contentType("application/json").body(Map.of("serial", a.serial(), "reason", "board stolen"))
                .post("/api/v1/pki/revocations").then().statusCode(200).extract().jsonPath();
        assertEquals(site, r.getString("site"));
        assertEquals("a", r.getString("node"));
        assertEquals("board stolen", r.getString("reason"));
        await().atMost(Duration.ofSeconds(10)).until(() -> !live.getState().isConnected());
        try {
            a.client().connect();
            throw new AssertionError("a revoked certificate connected");
        } catch (Mqtt5ConnAckException e) {
            assertEquals(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED, e.getMqttMessage().getReasonCode());
        }
        String crl = RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.VIEWER_TOKEN)
                .get("/api/v1/pki/crl").then().statusCode(200).extract().asString();
        var parsed = (java.security.cert.X509CRL) java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCRL(new java.io.ByteArrayInputStream(crl.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        assertTrue(parsed.getRevokedCertificate(new java.math.BigInteger(a.serial(), 16)) != null, "in the CRL");
    }
}
