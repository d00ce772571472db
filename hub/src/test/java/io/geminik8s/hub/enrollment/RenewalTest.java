package io.geminik8s.hub.enrollment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.pki.CaFiles;
import io.geminik8s.hub.pki.Csrs;
import io.geminik8s.hub.pki.FleetCa;
import io.geminik8s.hub.pki.NodeCsr;
import io.geminik8s.hub.pki.Pem;
import io.geminik8s.hub.pki.RenewalProof;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Renewal with a new key and proof of the current certificate; every proof that must not work. */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class RenewalTest {

    @Inject
    FleetCa ca;
    @Inject
    Pool pool;
    @TempDir
    Path dir;

    record Held(KeyPair keys, String chain, String serial) {
    }

    private static Held enroll(String site, String node, String token) throws Exception {
        KeyPair keys = Csrs.p256();
        var answer = RestAssured.given().header(EnrollResource.CLAIM_HEADER, token).contentType("application/json")
                .body(Map.of("site", site, "node", node, "csr", Csrs.pem("CN=" + site + "/" + node, keys)))
                .post("/enroll/v1").then().statusCode(200).extract().jsonPath();
        return new Held(keys, answer.getString("chain"), answer.getString("serial"));
    }

    private static ExtractableResponse<Response> renew(String site, String node, String csr, String certificate,
                                                       PrivateKey signer, long timestamp) throws Exception {
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(signer);
        s.update(RenewalProof.payload(timestamp, csr));
        return RestAssured.given().contentType("application/json").body(Map.of("site", site, "node", node, "csr", csr,
                        "certificate", certificate, "timestamp", timestamp,
                        "signature", Base64.getEncoder().encodeToString(s.sign())))
                .post("/enroll/v1/renew").then().extract();
    }

    private static String site() {
        return "rn-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static String claim(String site) {
        return RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN)
                .post("/api/v1/sites/" + site + "/claims").then().statusCode(201).extract().path("token");
    }

    @Test
    void aNodeRenewsWithANewKeyAndItsCurrentCertificate() throws Exception {
        String site = site();
        Held a = enroll(site, "a", claim(site));
        KeyPair next = Csrs.p256();
        var r = renew(site, "a", Csrs.pem("CN=" + site + "/a", next), a.chain(), a.keys().getPrivate(),
                System.currentTimeMillis());
        assertEquals(200, r.statusCode(), r.body().asString());
        String serial = r.path("serial");
        assertNotEquals(a.serial(), serial);
        assertEquals(next.getPublic(), Pem.readCertificates(r.path("chain")).get(0).getPublicKey());
        var row = pool.preparedQuery("SELECT renewed_from, claim_sha256 FROM enrollment WHERE serial = $1")
                .execute(Tuple.of(serial)).await().atMost(Duration.ofSeconds(10)).iterator().next();
        assertEquals(a.serial(), row.getString("renewed_from"));
        assertEquals(null, row.getString("claim_sha256"), "no claim was involved");
    }

    @Test
    void noProofButTheCurrentCertificateAndItsKeyWorks() throws Exception {
        String site = site();
        String token = claim(site);
        Held a = enroll(site, "a", token);
        Held b = enroll(site, "b", token);
        String csrA = Csrs.pem("CN=" + site + "/a", Csrs.p256());
        long now = System.currentTimeMillis();
        record Case(String why, int status, String detail, ExtractableResponse<Response> answer) {
        }
        FleetCa stranger = CaFiles.open(dir, dir.resolve("ca.passphrase"), true);
        KeyPair strangerKeys = Csrs.p256();
        String strangerCert = Pem.certificates(stranger.issueNode(NodeCsr.check(Csrs.pem("CN=" + site + "/a",
                strangerKeys), site, "a"), Duration.ofDays(30)).chain());
        KeyPair unrecordedKeys = Csrs.p256();
        String unrecorded = Pem.certificates(ca.issueNode(NodeCsr.check(Csrs.pem("CN=" + site + "/a", unrecordedKeys),
                site, "a"), Duration.ofDays(30)).chain());
        KeyPair shortKeys = Csrs.p256();
        String expired = Pem.certificates(ca.issueNode(NodeCsr.check(Csrs.pem("CN=" + site + "/a", shortKeys),
                site, "a"), Duration.ofMinutes(-1)).chain());
        List<Case> cases = List.of(
                new Case("signed by another key", 401, "signature does not verify", renew(site, "a", csrA, a.chain(), Csrs.p256().getPrivate(), now)),
                new Case("another node's certificate", 401, "is not " + site + "/a's", renew(site, "a", csrA, b.chain(), b.keys().getPrivate(), now)),
                new Case("another CA", 401, "not from this fleet's CA", renew(site, "a", csrA, strangerCert, strangerKeys.getPrivate(), now)),
                new Case("not issued by enrollment", 401, "not issued by enrollment", renew(site, "a", csrA, unrecorded, unrecordedKeys.getPrivate(), now)),
                new Case("expired", 401, "not valid now", renew(site, "a", csrA, expired, shortKeys.getPrivate(), now)),
                new Case("a stale proof", 401, "minutes off", renew(site, "a", csrA, a.chain(), a.keys().getPrivate(), now - 600_000)),
                new Case("the same key", 400, "needs a new key", renew(site, "a", Csrs.pem("CN=" + site + "/a", a.keys()), a.chain(),
                        a.keys().getPrivate(), now)),
                new Case("a request for node b", 400, "exactly CN=" + site + "/a", renew(site, "a", Csrs.pem("CN=" + site + "/b", Csrs.p256()),
                        a.chain(), a.keys().getPrivate(), now)));
        for (Case c : cases) {
            assertEquals(c.status(), c.answer().statusCode(), c.why() + ": " + c.answer().body().asString());
            String detail = c.answer().path("detail");
            org.junit.jupiter.api.Assertions.assertTrue(detail.contains(c.detail()), c.why() + ": " + detail);
        }
        RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN)
                .post("/api/v1/enrollments/" + a.serial() + "/revoke").then().statusCode(200);
        var revoked = renew(site, "a", csrA, a.chain(), a.keys().getPrivate(), System.currentTimeMillis());
        assertEquals(401, revoked.statusCode());
        assertEquals("the certificate is revoked", revoked.path("detail"));
        long issued = pool.preparedQuery("SELECT count(*) AS n FROM enrollment WHERE site_id = $1")
                .execute(Tuple.of(site)).await().atMost(Duration.ofSeconds(10)).iterator().next().getLong("n");
        assertEquals(2, issued, "nothing refused was recorded");
    }
}
