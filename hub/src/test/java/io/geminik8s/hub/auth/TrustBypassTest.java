package io.geminik8s.hub.auth;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.pki.Csrs;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Trust is the admin's: claiming a site (with a pair and a hardware pin), approving a waiting node, revoking a node's
 * certificate (by either endpoint), starting a certificate rotation and clearing a node's hardware identity, each
 * sent with no token, a wrong one, a viewer's and an operator's, by every method, in every spelling of
 * {@link ApiBypassTest#spellings}, over a raw socket. Judged by what changed afterwards — no claim made, the
 * certificate not revoked, the node not approved, no rotation started, the hardware identity kept — and by the answers (nothing under 400, no server error).
 */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class TrustBypassTest {

    @Inject
    Pool pool;

    private long count(String sql, Object arg) {
        return pool.preparedQuery(sql).execute(Tuple.of(arg)).await().atMost(Duration.ofSeconds(10)).iterator().next()
                .getLong(0);
    }

    @Test
    void noSpellingLetsAnyoneButAnAdminRunTrust() throws Exception {
        String site = "trust-" + UUID.randomUUID().toString().substring(0, 8);
        String token = given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN)
                .post("/api/v1/sites/" + site + "/claims").then().statusCode(201).extract().path("token");
        String serial = given().header("X-Gk8s-Claim", token).contentType("application/json")
                .body(Map.of("site", site, "node", "a", "csr", Csrs.pem("CN=" + site + "/a", Csrs.p256()),
                        "hardwareId", "first-board"))
                .post("/enroll/v1").then().statusCode(200).extract().path("serial");
        String gated = site + "-g";
        String gatedToken = given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN)
                .contentType("application/json").body(Map.of("approval", true))
                .post("/api/v1/sites/" + gated + "/claims").then().statusCode(201).extract().path("token");
        given().header("X-Gk8s-Claim", gatedToken).contentType("application/json")
                .body(Map.of("site", gated, "node", "a", "csr", Csrs.pem("CN=" + gated + "/a", Csrs.p256())))
                .post("/enroll/v1").then().statusCode(202);
        long rotations = count("SELECT count(*) FROM rollout WHERE kind = $1", "certificate-rotation");
        String pair = "{\"vip\":\"10.0.0.10/24\",\"nodes\":{\"a\":\"10.0.0.1\",\"b\":\"10.0.0.2\"},"
                + "\"hardware\":{\"a\":\"other-board\"}}";
        String rotation = "{\"kind\":\"certificate-rotation\",\"selector\":{}}";

        List<String> passed = new ArrayList<>();
        for (String t : new String[] {null, "wrong", HubInfrastructure.VIEWER_TOKEN, HubInfrastructure.OPERATOR_TOKEN}) {
            for (String method : List.of("POST", "PUT", "PATCH", "DELETE")) {
                for (var target : Map.of("/api/v1/sites/" + site + "/claims", pair,
                        "/api/v1/enrollments/" + serial + "/revoke", "", "/api/v1/rollouts", rotation,
                        "/api/v1/enrollments/requests/" + gated + "/a/approve", "",
                        "/api/v1/enrollments/hardware/" + site + "/a", "", "/api/v1/pki/revocations",
                        "{\"serial\":\"" + serial + "\",\"reason\":\"bypass\"}").entrySet()) {
                    for (String spelled : ApiBypassTest.spellings(target.getKey())) {
                        ApiBypassTest.Reply r = ApiBypassTest.raw(method, spelled, t, "application/json", target.getValue());
                        if (r.status() < 400 || r.status() >= 500) {
                            passed.add(method + " " + spelled + " as " + (t == null ? "nobody" : t.length() < 10 ? t
                                    : t.equals(HubInfrastructure.VIEWER_TOKEN) ? "viewer" : "operator") + " -> "
                                    + r.status());
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), passed, "trust requests answered without an admin");
        assertEquals(1, count("SELECT count(*) FROM site_claim WHERE site_id = $1", site), "only the admin's claim");
        assertEquals(0, count("SELECT count(*) FROM site_pair WHERE site_id = $1", site), "no pair was set");
        assertNull(pool.preparedQuery("SELECT revoked_ms FROM enrollment WHERE serial = $1").execute(Tuple.of(serial))
                .await().atMost(Duration.ofSeconds(10)).iterator().next().getLong(0), "the certificate is not revoked");
        assertEquals(0, count("SELECT count(*) FROM enrollment_request WHERE site_id = $1 AND approved_ms IS NOT NULL",
                gated), "the waiting node is not approved");
        assertEquals(1, count("SELECT count(*) FROM node_hardware WHERE site_id = $1 AND hardware_id = 'first-board'"
                + " AND NOT pinned", site), "the node's hardware identity was neither pinned anew nor cleared");
        assertEquals(rotations, count("SELECT count(*) FROM rollout WHERE kind = $1", "certificate-rotation"),
                "no rotation was started");
    }
}
