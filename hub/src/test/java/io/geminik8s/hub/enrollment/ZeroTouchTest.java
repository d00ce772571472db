package io.geminik8s.hub.enrollment;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.Agent;
import io.geminik8s.agent.config.ConfigLoader;
import io.geminik8s.agent.enroll.EnrollStep;
import io.geminik8s.agent.enroll.Enroller;
import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.hub.pki.Pem;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12's whole zero-touch run: an admin claims a site; two real agents with empty state and that claim make
 * their keys, enroll, and connect to the broker over mTLS with what they got; the site is online in the API. A third
 * node with the same claim is refused.
 */
@QuarkusTest
@WithTestResource(value = TrustInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class ZeroTouchTest {

    @TempDir
    Path dir;
    private final List<Agent> agents = new ArrayList<>();

    @AfterEach
    void stop() {
        agents.forEach(Agent::close);
    }

    private Map<String, String> env(String site, String node, String token) {
        return Map.of("GK8S_AGENT_SITE", site, "GK8S_AGENT_NODE", node,
                "GK8S_AGENT_BROKER_URL", "ssl://localhost:" + TrustInfrastructure.tlsPort,
                "GK8S_AGENT_STATE_DIR", dir.resolve(node).toString(), "GK8S_AGENT_HEALTH_INTERVAL_S", "1",
                "GK8S_AGENT_ENROLL_URL", "http://localhost:" + RestAssured.port,
                "GK8S_AGENT_ENROLL_ALLOW_PLAINTEXT", "true", "GK8S_AGENT_ENROLL_TOKEN", token);
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void twoAgentsWithEmptyStateAndAClaimComeOnlineOverMtls() throws Exception {
        String site = "zt-" + UUID.randomUUID().toString().substring(0, 8);
        String token = RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN)
                .post("/api/v1/sites/" + site + "/claims").then().statusCode(201).extract().path("token");

        for (String node : List.of("a", "b")) {
            Map<String, String> env = EnrollStep.run(null, env(site, node, token));
            Agent agent = new Agent(ConfigLoader.load(null, env), Clock.systemUTC());
            agents.add(agent);
            agent.start();
            Path tls = dir.resolve(node).resolve("tls");
            assertEquals("rwx------", mode(tls));
            assertEquals("rw-------", mode(tls.resolve("node.key")));
            assertEquals("CN=" + site + "/" + node, Pem.readCertificates(Files.readString(tls.resolve("node.pem")))
                    .get(0).getSubjectX500Principal().getName());
        }

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
            var nodes = RestAssured.given().get("/api/v1/sites/" + site).then().extract().jsonPath();
            List<Boolean> online = nodes.getList("nodes.online", Boolean.class);
            return online != null && online.size() == 2 && online.stream().allMatch(Boolean::booleanValue)
                    && !"offline".equals(nodes.getString("status"));
        });
        assertEquals("enrolled", RestAssured.given().get("/api/v1/sites/" + site).then().extract().path("registration"));
        assertEquals(2, (int) RestAssured.given().get("/api/v1/enrollments?site=" + site).then().statusCode(200)
                .extract().path("size()"));

        var third = assertThrows(Enroller.Refused.class, () -> EnrollStep.run(null, env(site, "c", token)));
        assertEquals(401, third.status, third.getMessage());
        var again = assertThrows(Enroller.Refused.class, () -> EnrollStep.run(null, env(site, "a", token)
                .entrySet().stream().collect(java.util.stream.Collectors.toMap(Map.Entry::getKey,
                        e -> e.getKey().equals("GK8S_AGENT_STATE_DIR") ? dir.resolve("a-wiped").toString() : e.getValue()))));
        assertEquals(401, again.status, "node a wiped and enrolling again with the spent claim: " + again.getMessage());
        assertTrue(Files.notExists(dir.resolve("c").resolve("tls").resolve("node.pem")));
    }

    /**
     * A claim naming the pair: each agent's enrollment gives it its HA settings — peer, peer address, the peer's
     * PostgreSQL host, VIP, and the site's peer-link key (0600, the same on both) — which the agent's configuration
     * takes wherever the operator set none; an operator's own setting wins.
     */
    @Test
    void theClaimsPairBecomesEachAgentsHaSettings() throws Exception {
        String site = "zt-" + UUID.randomUUID().toString().substring(0, 8);
        String token = RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN)
                .contentType("application/json")
                .body(Map.of("vip", "10.9.0.10/24", "nodes", Map.of("a", "10.9.0.1", "b", "10.9.0.2")))
                .post("/api/v1/sites/" + site + "/claims").then().statusCode(201).extract().path("token");
        Map<String, io.geminik8s.agent.config.HaSettings> ha = new java.util.HashMap<>();
        for (String node : List.of("a", "b")) {
            Map<String, String> env = new java.util.HashMap<>(env(site, node, token));
            if (node.equals("b")) {
                env.put("GK8S_AGENT_VIP_ADDRESS", "10.9.0.99/24"); // the operator's own setting
            }
            env = new java.util.HashMap<>(EnrollStep.run(null, env));
            env.putAll(Map.of("GK8S_AGENT_HA_ENABLED", "true", "GK8S_AGENT_HA_INITIAL_ROLE", "standby",
                    "GK8S_AGENT_PG_DATA", dir.resolve(node).resolve("pg").toString(), "GK8S_AGENT_VIP_DEVICE", "eth0"));
            ha.put(node, ConfigLoader.load(null, env).ha());
            assertEquals("rw-------", mode(dir.resolve(node).resolve("tls").resolve("peer.key")));
        }
        assertEquals("b", ha.get("a").peerNode());
        assertEquals("10.9.0.2", ha.get("a").peerAddress().getHostString());
        assertEquals(7946, ha.get("a").peerAddress().getPort());
        assertEquals("10.9.0.2", ha.get("a").pgPeerHost());
        assertEquals("10.9.0.10/24", ha.get("a").vipCidr());
        assertEquals("a", ha.get("b").peerNode());
        assertEquals("10.9.0.1", ha.get("b").pgPeerHost());
        assertEquals("10.9.0.99/24", ha.get("b").vipCidr(), "the operator's setting wins");
        assertEquals(ha.get("a").peerKey(), ha.get("b").peerKey(), "one key for the pair");
        assertEquals(ha.get("a").pgSecret().password("postgres"), ha.get("b").pgSecret().password("postgres"),
                "one database secret for the pair");
        assertEquals("rw-------", mode(dir.resolve("a").resolve("tls").resolve("pg.secret")));
        assertTrue(ha.get("a").pgTls(), "its PostgreSQL asks for TLS, with SCRAM bound to the server's certificate");
        assertEquals("10.9.0.0/24", ha.get("a").pgClientNetwork(), "clients only from the site LAN of the VIP");
    }

    /** Under a claim made with approval the agent asks, is told to wait (retryable), and enrolls once approved. */
    @Test
    void anAgentWaitsForApprovalAndEnrollsOnceApproved() throws Exception {
        String site = "zt-" + UUID.randomUUID().toString().substring(0, 8);
        String token = RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN)
                .contentType("application/json").body(Map.of("approval", true))
                .post("/api/v1/sites/" + site + "/claims").then().statusCode(201).extract().path("token");
        var settings = io.geminik8s.agent.enroll.EnrollSettings.parse(ConfigLoader.values(null, env(site, "a", token)),
                new ArrayList<>()).orElseThrow();
        var enroller = new Enroller(settings);
        var waiting = assertThrows(java.io.IOException.class, enroller::ensure);
        assertTrue(waiting.getMessage().contains("waiting for an admin"), waiting.getMessage());
        assertTrue(!enroller.enrolled());
        RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN)
                .post("/api/v1/enrollments/requests/" + site + "/a/approve").then().statusCode(200);
        enroller.ensure();
        assertTrue(enroller.enrolled());
    }

    @Test
    void anAgentRenewsAndReconnectsWithItsNewCertificateWhenTheOldIsRevoked() throws Exception {
        String site = "zr-" + UUID.randomUUID().toString().substring(0, 8);
        String token = RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN)
                .post("/api/v1/sites/" + site + "/claims").then().statusCode(201).extract().path("token");
        Map<String, String> env = env(site, "a", token);
        Agent agent = new Agent(ConfigLoader.load(null, EnrollStep.run(null, env)), Clock.systemUTC());
        agents.add(agent);
        agent.start();
        Path pem = dir.resolve("a").resolve("tls").resolve("node.pem");
        String old = Pem.readCertificates(Files.readString(pem)).get(0).getSerialNumber().toString(16);
        await().atMost(Duration.ofSeconds(30)).until(() -> Boolean.TRUE.equals(RestAssured.given()
                .get("/api/v1/sites/" + site).then().extract().path("nodes[0].online")));
        long session = ((Number) RestAssured.given().get("/api/v1/sites/" + site).then().extract()
                .path("nodes[0].session")).longValue();

        var settings = io.geminik8s.agent.enroll.EnrollSettings.parse(ConfigLoader.values(null, env),
                new ArrayList<>()).orElseThrow();
        var renewer = new io.geminik8s.agent.enroll.Renewer(settings, Duration.ofDays(29));
        assertTrue(!renewer.renewIfDue(java.time.Instant.now()), "not due with more than 29 days left");
        assertTrue(new io.geminik8s.agent.enroll.Renewer(settings, Duration.ofDays(31))
                .renewIfDue(java.time.Instant.now()), "due with less than 31 days left");
        String renewed = Pem.readCertificates(Files.readString(pem)).get(0).getSerialNumber().toString(16);
        assertTrue(!renewed.equals(old));
        assertEquals("rw-------", mode(dir.resolve("a").resolve("tls").resolve("node.key")));
        assertTrue(Files.notExists(pem.resolveSibling("node.pem.next")));

        RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN)
                .post("/api/v1/enrollments/" + old + "/revoke?renewals=false").then().statusCode(200);
        // the broker drops the connection made with the old certificate; the agent's next connection presents the new
        await().atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofMillis(200)).until(() -> {
            var node = RestAssured.given().get("/api/v1/sites/" + site).then().extract().jsonPath();
            return node.getBoolean("nodes[0].online") && node.getLong("nodes[0].session") > session;
        });
        List<String> serials = RestAssured.given().get("/api/v1/enrollments?site=" + site).then().statusCode(200)
                .extract().jsonPath().getList("serial", String.class);
        assertEquals(java.util.Set.of(old, renewed), java.util.Set.copyOf(serials));
        List<String> cascade = RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN)
                .post("/api/v1/enrollments/" + old + "/revoke").then().statusCode(200).extract().path("serials");
        assertEquals(List.of(old, renewed), cascade, "revoking a certificate revokes those renewed from it");
    }
}
