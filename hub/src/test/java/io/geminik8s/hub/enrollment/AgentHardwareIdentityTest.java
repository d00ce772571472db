package io.geminik8s.hub.enrollment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.enroll.EnrollStep;
import io.geminik8s.agent.enroll.Enroller;
import io.geminik8s.hub.HubInfrastructure;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real agent's enrollment and renewal against the real hub with hardware identity files: what the agent reads is
 * what the hub pins, records and compares (the broker is not needed for this).
 */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class AgentHardwareIdentityTest {

    static final String BOARD_A = "4C4C4544-0051-3510-8052-B7C04F4E3732";
    static final String BOARD_B = "0b5ea1a8-1e2f-4d0e-9c55-0c3f00d1e0a9";

    @TempDir
    Path dir;

    private Map<String, String> env(String site, String node, String token, String state, String board)
            throws IOException {
        Path file = Files.writeString(dir.resolve(state + ".product_uuid"), board + "\n");
        return Map.of("GK8S_AGENT_SITE", site, "GK8S_AGENT_NODE", node,
                "GK8S_AGENT_BROKER_URL", "tcp://localhost:1", "GK8S_AGENT_STATE_DIR", dir.resolve(state).toString(),
                "GK8S_AGENT_ENROLL_URL", "http://localhost:" + RestAssured.port,
                "GK8S_AGENT_ENROLL_ALLOW_PLAINTEXT", "true", "GK8S_AGENT_ENROLL_TOKEN", token,
                "GK8S_AGENT_ENROLL_HARDWARE_ID_FILE", file.toString());
    }

    private static String claim(String site, Object body) {
        var r = RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN);
        if (body != null) {
            r = r.contentType("application/json").body(body);
        }
        return r.post("/api/v1/sites/" + site + "/claims").then().statusCode(201).extract().path("token");
    }

    @Test
    void agentsEnrollAndRenewOnlyFromTheirHardware() throws Exception {
        String site = "ah-" + UUID.randomUUID().toString().substring(0, 8);
        String token = claim(site, Map.of("hardware", Map.of("a", BOARD_A)));

        var wrong = assertThrows(Enroller.Refused.class, () -> EnrollStep.run(null, env(site, "a", token, "a0", BOARD_B)));
        assertEquals(403, wrong.status);
        assertTrue(wrong.getMessage().contains("hardwareId: node " + site + "/a is pinned"), wrong.getMessage());
        EnrollStep.run(null, env(site, "a", token, "a", BOARD_A)); // the same claim: the refusal did not spend it
        EnrollStep.run(null, env(site, "b", token, "b", BOARD_B)); // not pinned: recorded at first use

        List<String> recorded = RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN)
                .get("/api/v1/enrollments?site=" + site).then().statusCode(200).extract().jsonPath()
                .getList("hardwareId", String.class);
        assertEquals(List.of(BOARD_B, BOARD_A.toLowerCase()), recorded.stream().sorted().toList());
        List<String> viewerSees = RestAssured.given().header("Authorization", "Bearer " + HubInfrastructure.VIEWER_TOKEN)
                .get("/api/v1/enrollments?site=" + site).then().statusCode(200).extract().jsonPath()
                .getList("hardwareId", String.class);
        assertEquals(2, viewerSees.size());
        assertTrue(viewerSees.stream().allMatch(v -> v.matches("sha256:[0-9a-f]{12}")), "a viewer: " + viewerSees);

        // b's state folder copied to other hardware: its renewal is refused, the original's goes through
        Path copy = dir.resolve("b-copy");
        Files.createDirectories(copy.resolve("tls"));
        for (String f : List.of("node.key", "node.pem", "ca.pem")) {
            Files.copy(dir.resolve("b").resolve("tls").resolve(f), copy.resolve("tls").resolve(f));
        }
        var cloned = EnrollStep.renewer(null, env(site, "b", token, "b-copy", BOARD_A)).orElseThrow();
        var refused = assertThrows(IOException.class, () -> cloned.renew(Instant.now()));
        assertTrue(refused.getMessage().contains("renewal refused (403): hardwareId:"), refused.getMessage());
        EnrollStep.renewer(null, env(site, "b", token, "b", BOARD_B)).orElseThrow().renew(Instant.now());
    }
}
