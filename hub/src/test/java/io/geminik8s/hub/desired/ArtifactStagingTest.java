package io.geminik8s.hub.desired;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.sun.net.httpserver.HttpServer;
import io.geminik8s.agent.Agent;
import io.geminik8s.agent.config.ConfigLoader;
import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.protocol.Artifact;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A template's signed artifacts reach the node (issue 14): the hub puts them in the site's desired state, the agent
 * fetches them from the URL named there as soon as the generation arrives, keeps the one signed by the fleet key
 * with the signed digest, and refuses — keeping nothing — one whose bytes are not what was signed; both journaled.
 */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class ArtifactStagingTest {

    @Test
    void theAgentStagesTheSignedArtifactAndRefusesTheTamperedOne() throws Exception {
        byte[] k3s = new byte[200_000];
        new Random(3).nextBytes(k3s);
        byte[] tools = "the tools, as signed".getBytes(StandardCharsets.UTF_8);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        for (var e : Map.of("/k3s", k3s, "/tools", "the tools, tampered!".getBytes(StandardCharsets.UTF_8)).entrySet()) {
            server.createContext(e.getKey(), ex -> {
                ex.sendResponseHeaders(200, e.getValue().length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(e.getValue());
                }
            });
        }
        server.start();
        Path dir = Files.createTempDirectory("gk8s-artifacts");
        try {
            KeyPair fleet = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            Path key = Files.writeString(dir.resolve("signing.pem"), "-----BEGIN PUBLIC KEY-----\n"
                    + Base64.getMimeEncoder().encodeToString(fleet.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n");
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            Artifact a = signed(fleet, "k3s", "v1.31.4+k3s1", base + "/k3s", k3s);
            Artifact t = signed(fleet, "tools", "1.0.0", base + "/tools", tools);
            String kind = "art-" + UUID.randomUUID().toString().substring(0, 8);
            String template = Files.readString(Path.of("../fleet-templates/store-standard.yaml"))
                    .replace("name: store-standard", "name: " + kind).replace("site-kind: store", "site-kind: " + kind)
                    + "  artifacts:\n" + yaml(a) + yaml(t);
            given().header("Authorization", "Bearer " + HubInfrastructure.ADMIN_TOKEN).contentType("application/yaml")
                    .body(template.getBytes(StandardCharsets.UTF_8)).post("/api/v1/templates").then().statusCode(201);

            Path state = dir.resolve("state");
            Map<String, String> env = new HashMap<>(Map.of("GK8S_AGENT_SITE", kind, "GK8S_AGENT_NODE", "a",
                    "GK8S_AGENT_BROKER_URL", "tcp://127.0.0.1:" + HubInfrastructure.mqttPort,
                    "GK8S_AGENT_BROKER_ALLOW_PLAINTEXT", "true", "GK8S_AGENT_STATE_DIR", state.toString(),
                    "GK8S_AGENT_HEALTH_INTERVAL_S", "1", "GK8S_AGENT_LABELS", "site-kind=" + kind + ",size=standard",
                    "GK8S_AGENT_ARTIFACTS_SIGNING_KEY_FILE", key.toString()));
            try (Agent agent = new Agent(ConfigLoader.load(null, env), Clock.systemUTC())) {
                agent.start();
                await().atMost(Duration.ofSeconds(30)).until(() -> types(kind).containsAll(List.of("artifact.staged",
                        "artifact.refused")));
            }
            assertArrayEquals(k3s, Files.readAllBytes(state.resolve("artifacts").resolve("k3s-v1.31.4+k3s1")));
            assertFalse(Files.exists(state.resolve("artifacts").resolve("tools-1.0.0")), "nothing kept of it");
            assertFalse(Files.exists(state.resolve("artifacts").resolve("tools-1.0.0.part")));
            String refused = given().get("/api/v1/sites/" + kind + "/events").then().extract()
                    .path("items.find { it.type == 'artifact.refused' }.message");
            assertEquals("tools 1.0.0 refused, nothing installed: sha256: the bytes hash to " + sha(
                    "the tools, tampered!".getBytes(StandardCharsets.UTF_8)) + ", signed for " + t.sha256(), refused);
        } finally {
            server.stop(0);
        }
    }

    private static List<String> types(String site) {
        List<String> types = given().get("/api/v1/sites/" + site + "/events").then().extract().path("items.type");
        return types == null ? List.of() : types;
    }

    private static Artifact signed(KeyPair fleet, String name, String version, String url, byte[] bytes)
            throws Exception {
        return new Artifact(name, version, url, sha(bytes), (long) bytes.length, null).signedWith(fleet.getPrivate());
    }

    private static String sha(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static String yaml(Artifact a) {
        return "    - name: " + a.name() + "\n      version: \"" + a.version() + "\"\n      url: " + a.url()
                + "\n      sha256: " + a.sha256() + "\n      size: " + a.size() + "\n      signature: " + a.signature() + "\n";
    }
}
