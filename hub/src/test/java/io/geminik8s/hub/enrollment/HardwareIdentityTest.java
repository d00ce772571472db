package io.geminik8s.hub.enrollment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.pki.Csrs;
import io.geminik8s.hub.pki.RenewalProof;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import java.security.KeyPair;
import java.security.Signature;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Hardware identity at enrollment and renewal: pinned by the claim, or recorded at first use (issue 12). */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class HardwareIdentityTest {

    static final String UUID_A = "4c4c4544-0051-3510-8052-b7c04f4e3732";
    static final String UUID_B = "0b5ea1a8-1e2f-4d0e-9c55-0c3f00d1e0a9";

    record Held(KeyPair keys, String chain) {
    }

    private static String site() {
        return "hw-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static ExtractableResponse<Response> claim(String site, Object body, String token) {
        var r = RestAssured.given().header("Authorization", "Bearer " + token);
        if (body != null) {
            r = r.contentType("application/json").body(body);
        }
        return r.post("/api/v1/sites/" + site + "/claims").then().extract();
    }

    private static String claim(String site, Map<String, String> hardware) {
        var r = claim(site, hardware == null ? null : Map.of("hardware", hardware), HubInfrastructure.ADMIN_TOKEN);
        assertEquals(201, r.statusCode(), r.body().asString());
        return r.path("token");
    }

    private static ExtractableResponse<Response> enroll(String token, String site, String node, KeyPair keys,
                                                        String hardwareId) throws Exception {
        Map<String, String> body = new HashMap<>(Map.of("site", site, "node", node,
                "csr", Csrs.pem("CN=" + site + "/" + node, keys)));
        if (hardwareId != null) {
            body.put("hardwareId", hardwareId);
        }
        return RestAssured.given().header(EnrollResource.CLAIM_HEADER, token).contentType("application/json")
                .body(body).post("/enroll/v1").then().extract();
    }

    private static Held enrolled(String token, String site, String node, String hardwareId) throws Exception {
        KeyPair keys = Csrs.p256();
        var r = enroll(token, site, node, keys, hardwareId);
        assertEquals(200, r.statusCode(), r.body().asString());
        return new Held(keys, r.path("chain"));
    }

    private static ExtractableResponse<Response> renew(String site, String node, Held current, String hardwareId)
            throws Exception {
        String csr = Csrs.pem("CN=" + site + "/" + node, Csrs.p256());
        long now = System.currentTimeMillis();
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(current.keys().getPrivate());
        s.update(RenewalProof.payload(now, csr));
        Map<String, Object> body = new HashMap<>(Map.of("site", site, "node", node, "csr", csr,
                "certificate", current.chain(), "timestamp", now,
                "signature", Base64.getEncoder().encodeToString(s.sign())));
        if (hardwareId != null) {
            body.put("hardwareId", hardwareId);
        }
        return RestAssured.given().contentType("application/json").body(body).post("/enroll/v1/renew").then().extract();
    }

    private static void refused(ExtractableResponse<Response> r, int status, String detail) {
        assertEquals(status, r.statusCode(), r.body().asString());
        assertTrue(r.body().asString().contains(detail), r.body().asString());
    }

    private static List<String> listed(String site) {
        return RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN)
                .queryParam("site", site).get("/api/v1/enrollments").then().statusCode(200).extract()
                .jsonPath().getList("hardwareId", String.class);
    }

    private static io.restassured.path.json.JsonPath recorded(String site) {
        return RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN)
                .queryParam("site", site).get("/api/v1/enrollments/hardware").then().statusCode(200).extract().jsonPath();
    }

    static double refusedCount(String endpoint) {
        return RestAssured.get("/q/metrics").then().statusCode(200).extract().asString().lines()
                .filter(l -> l.startsWith("gk8s_enroll_refused_total{") && l.contains("endpoint=\"" + endpoint + "\"")
                        && l.contains("status=\"403\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void aPinnedNodeEnrollsAndRenewsOnlyFromItsHardware() throws Exception {
        String site = site();
        String token = claim(site, Map.of("a", UUID_A.toUpperCase())); // dmidecode prints it in upper case
        assertEquals(List.of("a"), recorded(site).getList("items.node"), "the pin shows before the node enrolls");
        assertEquals(List.of(UUID_A), recorded(site).getList("items.hardwareId"));
        // a viewer (e.g. the broker host's CRL timer) sees a fingerprint, never the value a cloner would present
        for (String path : List.of("/api/v1/enrollments/hardware")) { // (the enrollments list: AgentHardwareIdentityTest)
            List<String> seen = RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.VIEWER_TOKEN)
                    .queryParam("site", site).get(path).then().statusCode(200).extract().jsonPath()
                    .getList("items.hardwareId", String.class);
            assertTrue(!seen.isEmpty() && seen.stream().allMatch(v -> v == null || v.matches("sha256:[0-9a-f]{12}")),
                    path + ": " + seen);
        }
        assertEquals(List.of(true), recorded(site).getList("items.pinned"));
        double before = refusedCount("enroll");
        refused(enroll(token, site, "a", Csrs.p256(), UUID_B), 403, "hardwareId: node " + site + "/a is pinned");
        refused(enroll(token, site, "a", Csrs.p256(), null), 403, "this request presents none");
        assertEquals(before + 2, refusedCount("enroll"), "counted like the other refusals");

        Held a = enrolled(token, site, "a", UUID_A); // the refusals did not spend the claim
        Held b = enrolled(token, site, "b", null); // b is not pinned and presented none: nothing recorded
        assertEquals(List.of(UUID_A), listed(site).stream().filter(h -> h != null).toList());

        refused(renew(site, "a", a, UUID_B), 403, "presents another ('" + UUID_B + "')");
        refused(renew(site, "a", a, null), 403, "this request presents none");
        assertEquals(200, renew(site, "a", a, UUID_A).statusCode());
        assertEquals(200, renew(site, "b", b, null).statusCode());
    }

    @Test
    void withoutAPinTheFirstEnrollmentRecordsItUntilAnAdminClearsIt() throws Exception {
        String site = site();
        Held a = enrolled(claim(site, null), site, "a", UUID_A);
        assertEquals(List.of(false), recorded(site).getList("items.pinned"), "recorded at first use");
        double before = refusedCount("renew");
        refused(renew(site, "a", a, UUID_B), 403, "first enrolled from hardware that identified itself");
        refused(renew(site, "a", a, null), 403, "this request presents none");
        assertEquals(before + 2, refusedCount("renew"));
        assertEquals(200, renew(site, "a", a, UUID_A).statusCode());

        String again = claim(site, null); // a re-enrollment (wiped state) from other hardware
        refused(enroll(again, site, "a", Csrs.p256(), UUID_B), 403, "gk8s site clear-hardware " + site + " a");
        for (String who : List.of(HubInfrastructure.VIEWER_TOKEN, HubInfrastructure.OPERATOR_TOKEN)) {
            assertEquals(403, RestAssured.given().header("Authorization", "Bearer " + who)
                    .delete("/api/v1/enrollments/hardware/" + site + "/a").statusCode());
        }
        RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN)
                .delete("/api/v1/enrollments/hardware/" + site + "/a").then().statusCode(200);
        RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN)
                .delete("/api/v1/enrollments/hardware/" + site + "/a").then().statusCode(404);
        assertEquals(List.of(), recorded(site).getList("items.node"));
        Held moved = enrolled(again, site, "a", UUID_B);
        refused(renew(site, "a", moved, UUID_A), 403, "first enrolled from hardware");
        assertEquals(200, renew(site, "a", moved, UUID_B).statusCode());
    }

    @Test
    void aNewPinReplacesWhatTheFirstEnrollmentRecorded() throws Exception {
        String site = site();
        Held a = enrolled(claim(site, null), site, "a", UUID_A);
        String token = claim(site, Map.of("a", UUID_B));
        refused(renew(site, "a", a, UUID_A), 403, "is pinned");
        enrolled(token, site, "a", UUID_B);
    }

    @Test
    void malformedHardwareIdentitiesAreRefusedNamingTheField() throws Exception {
        String site = site();
        String token = claim(site, null);
        for (String bad : List.of("", "x".repeat(129), "4c4c4544\u0000", "caf\u00e9", "has space", "-lead",
                "a/b", "\u0661\u0662")) {
            refused(enroll(token, site, "a", Csrs.p256(), bad), 400, "hardwareId: ");
        }
        Held a = enrolled(token, site, "a", "x".repeat(128)); // the longest allowed; nothing was recorded before
        refused(renew(site, "a", a, "\u0000"), 400, "hardwareId: ");
        assertEquals(200, renew(site, "a", a, "X".repeat(128)).statusCode(), "kept in lower case");

        String other = site();
        refused(claim(other, Map.of("hardware", Map.of("a", "bad id")), HubInfrastructure.ADMIN_TOKEN), 400,
                "hardware.a: ");
        refused(claim(other, Map.of("hardware", Map.of("a", "")), HubInfrastructure.ADMIN_TOKEN), 400, "hardware.a: ");
        refused(claim(other, Map.of("hardware", Map.of("a", "4c4c\u0000")), HubInfrastructure.ADMIN_TOKEN), 400,
                "hardware.a: ");
        refused(claim(other, Map.of("hardware", Map.of("a", "y".repeat(129))), HubInfrastructure.ADMIN_TOKEN), 400,
                "hardware.a: 1 to 128 characters");
        refused(claim(other, Map.of("hardware", Map.of("a", UUID_A, "b", UUID_B, "c", "x")),
                HubInfrastructure.ADMIN_TOKEN), 400, "hardware: at most two nodes");
        refused(claim(other, Map.of("hardware", Map.of("A!", UUID_A)), HubInfrastructure.ADMIN_TOKEN), 400,
                "hardware: 'A!' is not a node id");
        refused(claim(other, Map.of("vip", "10.2.0.10/24", "nodes", Map.of("a", "10.2.0.1", "b", "10.2.0.2"),
                "hardware", Map.of("c", UUID_A)), HubInfrastructure.ADMIN_TOKEN), 400, "not one of the pair's nodes");
        refused(claim(other, Map.of("hardware", Map.of("a", UUID_A)), HubInfrastructure.OPERATOR_TOKEN), 403, "");
        // nothing was pinned by the refused claims: a node of that site enrolls from any hardware
        enrolled(claim(other, null), other, "a", UUID_B);
    }
}
