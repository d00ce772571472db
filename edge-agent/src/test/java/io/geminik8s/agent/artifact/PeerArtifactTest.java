package io.geminik8s.agent.artifact;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpServer;
import io.geminik8s.protocol.Artifact;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The second node of a pair takes an artifact from its peer instead of the WAN (issue 14): from the peer when it has
 * the checked file, from the URL when it has not or sends other bytes; the peer's server gives out nothing but its
 * checked files.
 */
class PeerArtifactTest {

    @TempDir
    Path dir;
    private final byte[] bytes = new byte[120_000];
    private final AtomicInteger originRequests = new AtomicInteger();
    private HttpServer origin;
    private KeyPair fleet;
    private Artifact artifact;
    private PeerArtifactServer peer;

    @BeforeEach
    void setUp() throws Exception {
        new Random(5).nextBytes(bytes);
        fleet = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        origin = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        origin.createContext("/k3s", ex -> {
            originRequests.incrementAndGet();
            ex.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        });
        origin.start();
        artifact = new Artifact("k3s", "v1.31.5+k3s1", "http://127.0.0.1:" + origin.getAddress().getPort() + "/k3s",
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)), (long) bytes.length, null)
                .signedWith(fleet.getPrivate());
        peer = new PeerArtifactServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), dir.resolve("a"));
    }

    @AfterEach
    void tearDown() {
        origin.stop(0);
        peer.close();
    }

    private ArtifactStore store(String node) {
        ArtifactStore s = new ArtifactStore(dir.resolve(node), fleet.getPublic(), Duration.ofSeconds(10));
        s.fromPeer(URI.create("http://127.0.0.1:" + peer.port() + "/artifacts/"));
        return s;
    }

    @Test
    void theSecondNodeTakesItFromItsPeerTheFirstFromTheUrl() throws Exception {
        assertArrayEquals(bytes, Files.readAllBytes(store("a").stage(artifact)), "a: its peer has nothing yet");
        assertEquals(1, originRequests.get());
        assertArrayEquals(bytes, Files.readAllBytes(store("b").stage(artifact)));
        assertEquals(1, originRequests.get(), "b took it from a, not from the URL");
    }

    @Test
    void aPeerThatSendsOtherBytesOrIsAwayIsPassedOverForTheUrl() throws Exception {
        Files.createDirectories(dir.resolve("a"));
        byte[] other = bytes.clone();
        other[7] ^= 1; // a peer with a damaged (or malicious) copy under the right name
        Files.write(dir.resolve("a").resolve("k3s-v1.31.5+k3s1"), other);
        assertArrayEquals(bytes, Files.readAllBytes(store("b").stage(artifact)), "checked, so taken from the URL");
        assertEquals(1, originRequests.get());
        peer.close();
        assertArrayEquals(bytes, Files.readAllBytes(store("c").stage(artifact)), "the peer away: the URL");
        assertEquals(2, originRequests.get());
    }

    @Test
    void thePeerServerGivesOutOnlyCheckedFilesOfItsFolder() throws Exception {
        Path a = Files.createDirectories(dir.resolve("a"));
        Files.write(a.resolve("k3s-v1.31.5+k3s1"), bytes);
        Files.write(a.resolve("k3s-v1.31.6+k3s1.part"), new byte[10]);
        Files.createSymbolicLink(a.resolve("link"), Files.writeString(dir.resolve("secret"), "agent key"));
        Files.createDirectories(a.resolve("sub"));
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + peer.port();
        for (String path : new String[] {"/artifacts/k3s-v1.31.6+k3s1.part", "/artifacts/link", "/artifacts/sub",
                "/artifacts/..%2Fsecret", "/artifacts/.hidden", "/artifacts/", "/artifacts/" + "x".repeat(200)}) {
            assertEquals(404, http.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode(), path);
        }
        assertEquals(405, http.send(HttpRequest.newBuilder(URI.create(base + "/artifacts/k3s-v1.31.5+k3s1"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode());
        HttpResponse<byte[]> tail = http.send(HttpRequest.newBuilder(URI.create(base + "/artifacts/k3s-v1.31.5%2Bk3s1"))
                .header("Range", "bytes=119990-").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(206, tail.statusCode());
        assertEquals("bytes 119990-119999/120000", tail.headers().firstValue("Content-Range").orElse(""));
        assertEquals(10, tail.body().length);
        assertEquals(416, http.send(HttpRequest.newBuilder(URI.create(base + "/artifacts/k3s-v1.31.5%2Bk3s1"))
                .header("Range", "bytes=120000-").build(), HttpResponse.BodyHandlers.discarding()).statusCode());
    }
}
