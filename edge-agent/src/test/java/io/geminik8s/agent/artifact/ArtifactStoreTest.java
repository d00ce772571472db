package io.geminik8s.agent.artifact;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.geminik8s.protocol.Artifact;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fetching an artifact from a real HTTP server (issue 14): checked against the fleet's signature and the signed
 * SHA-256 and size before it is kept, resumed after a cut, and refused — leaving nothing — when anything is off.
 */
class ArtifactStoreTest {

    @TempDir
    Path dir;
    private HttpServer server;
    private final byte[] body = new byte[300_000];
    private final AtomicReference<byte[]> served = new AtomicReference<>();
    /** Bytes after which the next response is cut (the connection closed), or -1. */
    private final AtomicInteger cutAfter = new AtomicInteger(-1);
    private volatile boolean honourRange = true;
    private final List<String> ranges = new CopyOnWriteArrayList<>();
    private KeyPair fleet;

    @BeforeEach
    void serve() throws Exception {
        new Random(7).nextBytes(body);
        served.set(body);
        fleet = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/k3s", ex -> {
            byte[] b = served.get();
            String range = ex.getRequestHeaders().getFirst("Range");
            ranges.add(String.valueOf(range));
            int from = range != null && honourRange ? Integer.parseInt(range.replaceAll("bytes=(\\d+)-", "$1")) : 0;
            int cut = cutAfter.getAndSet(-1);
            int len = b.length - from;
            ex.sendResponseHeaders(from > 0 ? 206 : 200, len);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b, from, cut >= 0 ? Math.min(cut, len) : len);
                if (cut >= 0) {
                    out.flush();
                    throw new IOException("cut on purpose");
                }
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private Artifact ref(byte[] bytes, String version) throws Exception {
        return new Artifact("k3s", version, "http://127.0.0.1:" + server.getAddress().getPort() + "/k3s",
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)), (long) bytes.length, null)
                .signedWith(fleet.getPrivate());
    }

    private ArtifactStore store() {
        return new ArtifactStore(dir.resolve("artifacts"), fleet.getPublic(), Duration.ofSeconds(10));
    }

    @Test
    void aSignedArtifactIsKeptOnlyOnceChecked() throws Exception {
        Path f = store().stage(ref(body, "v1.31.5+k3s1"));
        assertArrayEquals(body, Files.readAllBytes(f));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("artifacts"))));
        int requests = ranges.size();
        assertEquals(f, store().stage(ref(body, "v1.31.5+k3s1")));
        assertEquals(requests, ranges.size(), "a checked artifact is not fetched again");
    }

    @Test
    void aCutDownloadResumesWhereItStopped() throws Exception {
        cutAfter.set(100_000);
        ArtifactStore s = store();
        Artifact a = ref(body, "v1.31.5+k3s1");
        assertThrows(IOException.class, () -> s.stage(a));
        long kept = Files.size(dir.resolve("artifacts").resolve("k3s-v1.31.5+k3s1.part"));
        assertTrue(kept > 0 && kept <= 100_000, "kept " + kept);
        assertArrayEquals(body, Files.readAllBytes(s.stage(a)));
        assertEquals("bytes=" + kept + "-", ranges.get(ranges.size() - 1), "asked only for the rest");

        honourRange = false; // a server that ignores ranges sends it all again: still right
        cutAfter.set(50_000);
        Artifact b = ref(body, "v1.31.6+k3s1");
        assertThrows(IOException.class, () -> s.stage(b));
        assertArrayEquals(body, Files.readAllBytes(s.stage(b)));
    }

    @Test
    void anythingOffIsRefusedAndNothingIsKept() throws Exception {
        ArtifactStore s = store();
        Artifact good = ref(body, "v1.31.5+k3s1");
        byte[] evil = body.clone();
        evil[1234] ^= 1;
        served.set(evil); // the server (or a mirror, or the wire) changed one bit
        assertTrue(assertThrows(ArtifactStore.Refused.class, () -> s.stage(good)).getMessage().startsWith("sha256:"));
        assertFalse(Files.exists(s.file(good)));
        assertFalse(Files.exists(dir.resolve("artifacts").resolve("k3s-v1.31.5+k3s1.part")), "nothing left behind");

        served.set(body);
        Artifact otherKey = new Artifact("k3s", "v1.31.5+k3s1", good.url(), good.sha256(), good.size(), null)
                .signedWith(KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate());
        int before = ranges.size();
        assertTrue(assertThrows(ArtifactStore.Refused.class, () -> s.stage(otherKey)).getMessage()
                .startsWith("signature:"));
        assertEquals(before, ranges.size(), "an unsigned reference is not even fetched");
        Artifact relabelled = new Artifact("k3s", "v1.32.0+k3s1", good.url(), good.sha256(), good.size(),
                good.signature()); // a valid signature moved to another version
        assertTrue(assertThrows(ArtifactStore.Refused.class, () -> s.stage(relabelled)).getMessage()
                .startsWith("signature:"));

        byte[] longer = new byte[body.length + 10];
        System.arraycopy(body, 0, longer, 0, body.length);
        served.set(longer); // more than was signed: stopped at the signed size
        assertTrue(assertThrows(ArtifactStore.Refused.class, () -> s.stage(good)).getMessage().startsWith("size:"));
        assertTrue(assertThrows(ArtifactStore.Refused.class, () -> new ArtifactStore(dir, null, Duration.ofSeconds(5))
                .stage(good)).getMessage().contains("no fleet signing key"));
        assertTrue(assertThrows(ArtifactStore.Refused.class, () -> s.stage(new Artifact("k3s", "../../etc", good.url(),
                good.sha256(), good.size(), good.signature()))).getMessage().startsWith("malformed reference: version"));
    }
}
