package io.geminik8s.hub.artifact;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.geminik8s.agent.artifact.ArtifactStore;
import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.protocol.Artifact;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The hub as the nodes' artifact mirror (issue 14): the agent's own store fetches a signed artifact from
 * {@code /artifacts/}, a cut download resumes with {@code Range}; no token needed; nothing outside the folder, no
 * link, no odd name is served.
 */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class HubArtifactMirrorTest {

    @Test
    void theAgentFetchesAndResumesFromTheHubAndOnlyFolderFilesAreServed() throws Exception {
        byte[] bytes = new byte[250_000];
        new Random(11).nextBytes(bytes);
        Files.write(HubInfrastructure.ARTIFACTS.resolve("k3s-v1.31.5+k3s1"), bytes);
        KeyPair fleet = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        String url = "http://127.0.0.1:" + RestAssured.port + "/artifacts/k3s-v1.31.5+k3s1";
        Artifact a = new Artifact("k3s", "v1.31.5+k3s1", url,
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)), (long) bytes.length, null)
                .signedWith(fleet.getPrivate());
        Path store = Files.createTempDirectory("gk8s-agent-store");
        // a download cut at 100,000 bytes earlier: the store asks for the rest only
        Files.createDirectories(store);
        Files.write(store.resolve("k3s-v1.31.5+k3s1.part"), Arrays.copyOf(bytes, 100_000));
        Path got = new ArtifactStore(store, fleet.getPublic(), Duration.ofSeconds(10)).stage(a);
        assertArrayEquals(bytes, Files.readAllBytes(got));

        byte[] tail = RestAssured.given().header("Range", "bytes=249990-").get("/artifacts/k3s-v1.31.5+k3s1")
                .then().statusCode(206).header("Content-Range", "bytes 249990-249999/250000").extract().asByteArray();
        assertArrayEquals(Arrays.copyOfRange(bytes, 249_990, 250_000), tail);
        given().header("Range", "bytes=250000-").get("/artifacts/k3s-v1.31.5+k3s1").then().statusCode(416)
                .header("Content-Range", "bytes */250000");
        given().header("Range", "bytes=0-5,9-").get("/artifacts/k3s-v1.31.5+k3s1").then().statusCode(416);

        Path outside = Files.writeString(Files.createTempFile("gk8s-secret", ".txt"), "not an artifact");
        Files.createSymbolicLink(HubInfrastructure.ARTIFACTS.resolve("link"), outside);
        Files.createDirectories(HubInfrastructure.ARTIFACTS.resolve("sub"));
        for (String path : new String[] {"/artifacts/link", "/artifacts/sub", "/artifacts/..%2F..%2Fetc%2Fpasswd",
                "/artifacts/.hidden", "/artifacts/%2e%2e", "/artifacts/none", "/artifacts/a;b",
                "/artifacts/" + "x".repeat(200)}) {
            int status = RestAssured.given().urlEncodingEnabled(false).get(path).then().extract().statusCode();
            assertEquals(404, status, path);
        }
    }
}
