package io.geminik8s.hub.enrollment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.Sha256;
import io.geminik8s.hub.pki.Csrs;
import io.geminik8s.hub.pki.Pem;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Claiming a site and enrolling its two nodes, and every way in that must stay shut (issue 12). */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class EnrollmentTest {

    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();
    @Inject
    Pool pool;

    record Answer(int status, JsonNode body) {
        String detail() {
            return body.path("detail").asText();
        }
    }

    private Answer call(String method, String path, Map<String, String> headers, Object body) throws Exception {
        var b = HttpRequest.newBuilder(URI.create("http://localhost:" + RestAssured.port + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : json.writeValueAsString(body)))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(20));
        headers.forEach(b::header);
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body().isEmpty() ? json.createObjectNode() : json.readTree(r.body()));
    }

    static String site() {
        return "enr-" + UUID.randomUUID().toString().substring(0, 8);
    }

    String claim(String site) throws Exception {
        Answer a = call("POST", "/api/v1/sites/" + site + "/claims",
                Map.of("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN), null);
        assertEquals(201, a.status(), a.body().toString());
        return a.body().get("token").asText();
    }

    Answer enroll(String token, String site, String node, String csr) throws Exception {
        return call("POST", "/enroll/v1", token == null ? Map.of() : Map.of(EnrollResource.CLAIM_HEADER, token),
                Map.of("site", site, "node", node, "csr", csr));
    }

    static String csr(String site, String node) throws Exception {
        return Csrs.pem("CN=" + site + "/" + node, Csrs.p256());
    }

    @Test
    void anAdminClaimsASiteAndBothNodesEnrollOnce() throws Exception {
        String site = site();
        for (String token : List.of(HubInfrastructure.VIEWER_TOKEN, HubInfrastructure.OPERATOR_TOKEN)) {
            assertEquals(403, call("POST", "/api/v1/sites/" + site + "/claims",
                    Map.of("Authorization", "Bearer " + token), null).status(), "claims are the admin's");
        }
        Answer claimed = call("POST", "/api/v1/sites/" + site + "/claims",
                Map.of("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN), null);
        String token = claimed.body().get("token").asText();
        assertTrue(claimed.body().get("printable").asText().endsWith(":" + site + ":" + token));
        long hours = Duration.between(java.time.Instant.now(),
                java.time.Instant.parse(claimed.body().get("expiresAt").asText())).toHours();
        assertEquals(23, hours, 1, "a claim lives 24 h by default");
        var stored = pool.preparedQuery("SELECT token_sha256, created_by FROM site_claim WHERE site_id = $1")
                .execute(Tuple.of(site)).await().atMost(Duration.ofSeconds(10)).iterator().next();
        assertEquals(Sha256.hex(token), stored.getString("token_sha256"), "only the hash is stored");
        assertEquals("boss", stored.getString("created_by"));

        Answer a = enroll(token, site, "a", csr(site, "a"));
        assertEquals(200, a.status(), a.body().toString());
        assertTrue(!a.body().has("pair"), "a claim that names no pair hands out none");
        List<X509Certificate> chain = Pem.readCertificates(a.body().get("chain").asText());
        assertEquals("CN=" + site + "/a", chain.get(0).getSubjectX500Principal().getName());
        X509Certificate root = Pem.readCertificates(a.body().get("ca").asText()).get(0);
        chain.get(1).verify(root.getPublicKey());
        chain.get(0).verify(chain.get(1).getPublicKey());
        assertEquals(chain.get(0).getSerialNumber().toString(16), a.body().get("serial").asText());
        Answer b = enroll(token, site, "b", csr(site, "b"));
        assertEquals(200, b.status(), b.body().toString());

        Answer list = call("GET", "/api/v1/enrollments?site=" + site,
                Map.of("Authorization", "Bearer " + HubInfrastructure.VIEWER_TOKEN), null);
        assertEquals(200, list.status());
        assertEquals(2, list.body().size(), list.body().toString());
        assertEquals(java.util.Set.of("a", "b"), java.util.Set.of(list.body().get(0).get("node").asText(),
                list.body().get(1).get("node").asText()));
        assertEquals(401, call("GET", "/api/v1/enrollments", Map.of(), null).status());
        var registration = pool.preparedQuery("SELECT registration FROM site WHERE id = $1").execute(Tuple.of(site))
                .await().atMost(Duration.ofSeconds(10)).iterator().next().getString("registration");
        assertEquals("enrolled", registration);

        Answer again = enroll(token, site, "a", csr(site, "a"));
        assertEquals(401, again.status(), "a node uses a claim once");
        Answer third = enroll(token, site, "c", csr(site, "c"));
        assertEquals(401, third.status());
        assertEquals("the claim token was used by both nodes of its site", third.detail());
    }

    @Test
    void withoutAGoodTokenNothingEnrolls() throws Exception {
        String site = site();
        String token = claim(site);
        String good = csr(site, "a");
        assertEquals(401, enroll(null, site, "a", good).status(), "no token");
        assertEquals(401, enroll("gk8s-claim-" + "A".repeat(43), site, "a", good).status(), "a wrong token");
        assertEquals("unknown claim token", enroll("gk8s-claim-" + "A".repeat(43), site, "a", good).detail());
        assertEquals(401, enroll("x".repeat(5000), site, "a", good).status(), "garbage");
        Answer beforeWork = enroll("gk8s-claim-" + "B".repeat(43), site, "a", "not a request");
        assertEquals(401, beforeWork.status(), "the token is checked before the request is looked at");
        String metrics = RestAssured.given().get("/q/metrics").then().extract().asString();
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("gk8s_enroll_refused_total")
                && l.contains("endpoint=\"enroll\"") && l.contains("status=\"401\"")), "refusals are counted");
        assertEquals(401, call("POST", "/enroll/v1", Map.of("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN),
                Map.of("site", site, "node", "a", "csr", good)).status(), "an API token is no claim");
        assertEquals(401, call("GET", "/api/v1/sites", Map.of("Authorization", "Bearer " + token), null).status(),
                "a claim token opens nothing but enrollment");

        String elsewhere = site();
        Answer other = enroll(token, elsewhere, "a", csr(elsewhere, "a"));
        assertEquals(403, other.status(), "a token for site X cannot enroll into site Y");
        assertEquals("this claim token is for another site", other.detail());

        String exp = site();
        String expired = claim(exp);
        pool.preparedQuery("UPDATE site_claim SET expires_ms = $1 WHERE token_sha256 = $2")
                .execute(Tuple.of(System.currentTimeMillis() - 1, Sha256.hex(expired))).await().atMost(Duration.ofSeconds(10));
        Answer late = enroll(expired, exp, "a", csr(exp, "a"));
        assertEquals(401, late.status());
        assertEquals("the claim token expired", late.detail());
        assertEquals(0, enrollments(exp));
        assertEquals(0, enrollments(site), "nothing refused was recorded");
    }

    @Test
    void badRequestsAreRefusedWithoutSpendingTheToken() throws Exception {
        String site = site();
        String token = claim(site);
        Answer malformed = enroll(token, site, "a", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----");
        assertEquals(400, malformed.status());
        assertEquals(413, enroll(token, site, "a", "A".repeat(1 << 16)).status(), "oversized");
        Answer rsa = enroll(token, site, "a", Csrs.pem("CN=" + site + "/a", Csrs.keys("RSA", "2048")));
        assertEquals(400, rsa.status());
        assertEquals("csr: only ECDSA P-256 keys are accepted", rsa.detail());
        Answer p384 = enroll(token, site, "a", Csrs.pem("CN=" + site + "/a", Csrs.keys("EC", "secp384r1")));
        assertEquals(400, p384.status());
        Answer forOther = enroll(token, site, "a", csr(site, "b"));
        assertEquals(400, forOther.status(), "a request whose subject is another node");
        assertEquals("csr: the request's subject must be exactly CN=" + site + "/a", forOther.detail());
        assertEquals(400, enroll(token, site, "A_B", csr(site, "a")).status(), "a node id the broker would refuse");
        assertEquals(400, call("POST", "/enroll/v1", Map.of(EnrollResource.CLAIM_HEADER, token), "{not json").status());
        assertEquals(0, enrollments(site));
        assertEquals(200, enroll(token, site, "a", csr(site, "a")).status(), "the token is still good");
    }

    @Test
    void aNodeEnrollingTwiceAtOnceGetsOneCertificate() throws Exception {
        String site = site();
        String token = claim(site);
        List<CompletableFuture<Integer>> racing = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String csr = csr(site, "a");
            racing.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return enroll(token, site, "a", csr).status();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        List<Integer> statuses = racing.stream().map(CompletableFuture::join).sorted().toList();
        assertEquals(List.of(200, 401, 401, 401), statuses);
        assertEquals(1, enrollments(site));
    }

    @Test
    void noSpellingOfTheClaimPathLetsAnOperatorClaim() throws Exception {
        String site = site();
        String rest = "sites/" + site + "/claims";
        for (String path : List.of("/api;x/v1/" + rest, "/api/v1;x/" + rest, "/api/v1/" + rest + ";x", "//api/v1/" + rest,
                "/api//v1/" + rest, "/api/./v1/" + rest, "/x/../api/v1/" + rest, "/API/v1/" + rest,
                "/api/v1/" + rest + "/", "/api%2Fv1/" + rest, "/%61pi/v1/" + rest, "/api/%3Bx/v1/" + rest)) {
            for (String auth : new String[]{"", "Authorization: Bearer " + HubInfrastructure.OPERATOR_TOKEN + "\r\n",
                    "Authorization: Bearer " + HubInfrastructure.VIEWER_TOKEN + "\r\n"}) {
                try (var socket = new java.net.Socket("localhost", RestAssured.port)) {
                    socket.setSoTimeout(20_000);
                    socket.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\n" + auth
                            + "X-HTTP-Method-Override: GET\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    String status = new String(socket.getInputStream().readAllBytes(),
                            java.nio.charset.StandardCharsets.ISO_8859_1).split("\r\n", 2)[0];
                    assertTrue(!status.contains(" 2"), path + " " + auth.split(" ").length + ": " + status);
                }
            }
        }
        long claims = pool.preparedQuery("SELECT count(*) AS n FROM site_claim WHERE site_id = $1").execute(Tuple.of(site))
                .await().atMost(Duration.ofSeconds(10)).iterator().next().getLong("n");
        assertEquals(0, claims);
    }

    /**
     * A claim that names the pair: each node gets its peer, the peer's address, the VIP and the site's peer-link
     * key; only the two named nodes enroll; a later claim keeps the key; a malformed pair is 400 naming the field.
     */
    @Test
    void aClaimWithThePairHandsEachNodeItsPeerAndTheSitesKey() throws Exception {
        String site = site();
        Map<String, String> admin = Map.of("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN);
        String path = "/api/v1/sites/" + site + "/claims";
        Map<Object, String> bad = new java.util.LinkedHashMap<>();
        bad.put(Map.of("vip", "10.0.0.10", "nodes", Map.of("a", "10.0.0.1", "b", "10.0.0.2")), "vip");
        bad.put(Map.of("vip", "10.0.0.10/24", "nodes", Map.of("a", "10.0.0.1")), "nodes");
        bad.put(Map.of("vip", "10.0.0.10/24", "nodes", Map.of("a", "10.0.0.1", "b", "10.0.0.1")), "nodes");
        bad.put(Map.of("vip", "10.0.0.10/24", "nodes", Map.of("a", "10.0.0.1", "B_", "10.0.0.2")), "nodes");
        bad.put(Map.of("vip", "10.0.0.10/24", "nodes", Map.of("a", "10.0.0.1", "b", "300.0.0.2")), "nodes.b");
        for (var e : bad.entrySet()) {
            Answer refused = call("POST", path, admin, e.getKey());
            assertEquals(400, refused.status(), e.getKey() + " -> " + refused.body());
            assertTrue(refused.detail().startsWith(e.getValue() + ":"), refused.detail());
        }
        assertEquals(400, call("POST", path, admin, "{\"vip\": [1]}").status());
        assertEquals(0L, pool.preparedQuery("SELECT count(*) AS n FROM site_claim WHERE site_id = $1")
                .execute(Tuple.of(site)).await().atMost(Duration.ofSeconds(10)).iterator().next().getLong("n"),
                "a refused claim makes no token");
        Map<String, Object> pair = Map.of("vip", "10.0.0.10/24", "nodes", Map.of("a", "10.0.0.1", "b", "10.0.0.2"));
        String token = call("POST", path, admin, pair).body().get("token").asText();
        Answer stranger = enroll(token, site, "c", csr(site, "c"));
        assertEquals(403, stranger.status(), stranger.body().toString());
        assertTrue(stranger.detail().contains("not one of the site's two nodes"), stranger.detail());
        JsonNode a = enroll(token, site, "a", csr(site, "a")).body().get("pair");
        JsonNode b = enroll(token, site, "b", csr(site, "b")).body().get("pair");
        assertEquals("b", a.get("peerNode").asText());
        assertEquals("10.0.0.2:7946", a.get("peerAddress").asText());
        assertEquals("a", b.get("peerNode").asText());
        assertEquals("10.0.0.1:7946", b.get("peerAddress").asText());
        assertEquals("10.0.0.10/24", b.get("vip").asText());
        assertTrue(a.get("peerKey").asText().matches("[0-9a-f]{64}"), a.toString());
        assertEquals(a.get("peerKey"), b.get("peerKey"), "both nodes share the site's key");
        String again = call("POST", path, admin, pair).body().get("token").asText(); // node a was wiped
        JsonNode rejoined = enroll(again, site, "a", csr(site, "a")).body().get("pair");
        assertEquals(a.get("peerKey"), rejoined.get("peerKey"), "a later claim keeps the site's key");
    }

    /**
     * A claim made with approval: a node's attempt is recorded and answered 202 (nothing signed, the claim not
     * spent) until an admin approves that node; viewers and operators cannot approve; approving a node that never
     * asked is 404.
     */
    @Test
    void withApprovalANodeEnrollsOnlyOnceAnAdminApprovedIt() throws Exception {
        String site = site();
        Map<String, String> admin = Map.of("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN);
        String token = call("POST", "/api/v1/sites/" + site + "/claims", admin, Map.of("approval", true)).body()
                .get("token").asText();
        Answer waiting = enroll(token, site, "a", csr(site, "a"));
        assertEquals(202, waiting.status(), waiting.body().toString());
        assertTrue(waiting.detail().contains("gk8s site approve " + site + " a"), waiting.detail());
        assertEquals(0, enrollments(site), "nothing signed while it waits");
        Answer listed = call("GET", "/api/v1/enrollments/requests?site=" + site,
                Map.of("Authorization", "Bearer " + HubInfrastructure.VIEWER_TOKEN), null);
        assertEquals("a", listed.body().get(0).get("node").asText(), listed.body().toString());
        assertFalse(listed.body().get(0).has("approvedAt"), "not approved yet: absent");
        String approve = "/api/v1/enrollments/requests/" + site + "/a/approve";
        for (String t : List.of(HubInfrastructure.VIEWER_TOKEN, HubInfrastructure.OPERATOR_TOKEN)) {
            assertEquals(403, call("POST", approve, Map.of("Authorization", "Bearer " + t), null).status());
        }
        assertEquals(404, call("POST", "/api/v1/enrollments/requests/" + site + "/b/approve", admin, null).status(),
                "b never asked");
        assertEquals(202, enroll(token, site, "a", csr(site, "a")).status(), "still waiting");
        assertEquals(200, call("POST", approve, admin, null).status());
        Answer enrolled = enroll(token, site, "a", csr(site, "a"));
        assertEquals(200, enrolled.status(), enrolled.body().toString());
        assertEquals(202, enroll(token, site, "b", csr(site, "b")).status(), "each node is approved on its own");
        assertEquals(1, enrollments(site));
    }

    private long enrollments(String site) {
        return pool.preparedQuery("SELECT count(*) AS n FROM enrollment WHERE site_id = $1").execute(Tuple.of(site))
                .await().atMost(Duration.ofSeconds(10)).iterator().next().getLong("n");
    }
}
