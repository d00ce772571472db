package io.geminik8s.agent.artifact;

import io.geminik8s.agent.state.DurableFiles;
import io.geminik8s.protocol.Artifact;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.PublicKey;
import java.time.Duration;

/**
 * Artifacts fetched and checked before anything installs them: the reference must be signed by the fleet signing key
 * (checked first: nothing unsigned is even downloaded), the bytes must have the signed size and SHA-256. A download
 * cut short is resumed where it stopped ({@code Range}); a server that ignores the range sends it all again. Kept in
 * {@code <dir>/<name>-<version>} (0600) only once checked; a refused download leaves nothing behind.
 */
public final class ArtifactStore {

    /** Refused for good: this reference or these bytes will never be installed. */
    public static final class Refused extends Exception {
        public Refused(String reason) {
            super(reason);
        }
    }

    private final Path dir;
    private final PublicKey signingKey;
    /** Made at the first download: most of the time there is none (~60 classes and a selector thread less). */
    private HttpClient http;
    private final Duration timeout;
    /** The peer node's artifact folder ({@link PeerArtifactServer}), tried first for a fresh fetch; null: none. */
    private volatile URI peer;

    /** {@code signingKey}: the fleet's Ed25519 key; null refuses every artifact. */
    public ArtifactStore(Path dir, PublicKey signingKey, Duration timeout) {
        this.dir = dir;
        this.signingKey = signingKey;
        this.timeout = timeout;
    }

    private synchronized HttpClient http() {
        if (http == null) {
            http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                    .followRedirects(HttpClient.Redirect.NORMAL).build();
        }
        return http;
    }

    /** Takes artifacts from the peer at {@code base} (e.g. http://10.0.0.2:7947/artifacts/) when it has them. */
    public void fromPeer(URI base) {
        this.peer = base;
    }

    /** Where a checked artifact is kept. */
    public Path file(Artifact a) {
        return dir.resolve(a.name() + "-" + a.version());
    }

    /**
     * The checked file of {@code a}, fetched (or resumed) unless already here. Refused: malformed, unsigned, or the
     * bytes are not what was signed. IOException: not reached or cut short — try again later, it resumes.
     */
    public synchronized Path stage(Artifact a) throws Refused, IOException, InterruptedException {
        var problem = a.problem();
        if (problem.isPresent()) {
            throw new Refused("malformed reference: " + problem.get());
        }
        if (signingKey == null) {
            throw new Refused("signature: no fleet signing key configured (artifacts.signing-key-file)");
        }
        if (!a.signedBy(signingKey)) {
            throw new Refused("signature: " + a.name() + " " + a.version() + " is not signed by the fleet signing key");
        }
        DurableFiles.privateDirectory(dir);
        Path done = file(a);
        if (Files.exists(done) && Files.size(done) == a.size() && Artifact.sha256Of(done).equals(a.sha256())) {
            return done;
        }
        Path part = dir.resolve(done.getFileName() + ".part");
        if (Files.exists(part) && Files.size(part) > a.size()) {
            Files.delete(part);
        }
        URI fromPeer = peer;
        if (fromPeer != null && Files.notExists(part)) { // a fresh fetch asks the peer first; its bytes are checked alike
            try {
                download(fromPeer.resolve(java.net.URLEncoder.encode(done.getFileName().toString(),
                        java.nio.charset.StandardCharsets.UTF_8)), a, part, 0);
                if (Files.size(part) == a.size() && Artifact.sha256Of(part).equals(a.sha256())) {
                    Files.move(part, done, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    DurableFiles.fsyncDirectory(dir);
                    return done;
                }
            } catch (IOException | Refused notThere) {
                // the peer does not have it (yet), is away, or sent other bytes: the URL of the desired state then
            }
            Files.deleteIfExists(part);
        }
        long have = Files.exists(part) ? Files.size(part) : 0;
        if (have < a.size()) {
            download(URI.create(a.url()), a, part, have);
        }
        long got = Files.size(part);
        if (got != a.size()) {
            Files.delete(part);
            throw new Refused("size: " + got + " bytes, signed for " + a.size());
        }
        String digest = Artifact.sha256Of(part);
        if (!digest.equals(a.sha256())) {
            Files.delete(part);
            throw new Refused("sha256: the bytes hash to " + digest + ", signed for " + a.sha256());
        }
        Files.move(part, done, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        DurableFiles.fsyncDirectory(dir);
        return done;
    }

    private void download(URI from, Artifact a, Path part, long have) throws Refused, IOException,
            InterruptedException {
        HttpRequest.Builder req = HttpRequest.newBuilder(from).timeout(timeout).GET();
        if (have > 0) {
            req.header("Range", "bytes=" + have + "-");
        }
        HttpResponse<InputStream> r = http().send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
        boolean resumed = r.statusCode() == 206;
        if (r.statusCode() != 200 && !resumed) {
            r.body().close();
            throw new IOException(from + " answered HTTP " + r.statusCode());
        }
        if (!resumed && Files.exists(part)) {
            Files.delete(part); // the server sends it all again
        }
        if (Files.notExists(part)) {
            DurableFiles.createPrivateFile(part);
        }
        long written = resumed ? have : 0;
        try (InputStream in = r.body(); OutputStream out = Files.newOutputStream(part, StandardOpenOption.APPEND)) {
            byte[] buf = new byte[64 * 1024];
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                if (written + n > a.size()) {
                    out.close();
                    Files.delete(part);
                    throw new Refused("size: the server sent more than the signed " + a.size() + " bytes");
                }
                out.write(buf, 0, n);
                written += n;
            }
        }
    }
}
