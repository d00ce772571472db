package io.geminik8s.agent.enroll;

import com.fasterxml.jackson.databind.JsonNode;
import io.geminik8s.protocol.Codec;
import io.geminik8s.agent.state.DurableFiles;
import java.io.IOException;
import java.io.StringWriter;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Map;
import java.util.logging.Logger;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * Zero-touch enrollment of this node: an ECDSA P-256 key made here and kept here ({@code node.key}, PKCS#8, 0600,
 * in a 0700 folder), a CSR for {@code CN=<site>/<node>} sent with the claim token to the hub's {@code /enroll/v1},
 * and the answer stored: {@code node.pem} (certificate and intermediate) and {@code ca.pem} (the fleet root). Does
 * nothing when the certificate is already there.
 */
public final class Enroller {

    static final String KEY = "node.key";
    static final String CERT = "node.pem";
    static final String CA = "ca.pem";
    /** The pair's configuration from the claim (keys of the agent's own settings), and the peer-link key. */
    static final String PAIR = "pair.properties";
    static final String PEER_KEY = "peer.key";
    static final String PG_SECRET = "pg.secret";
    private static final Logger LOG = Logger.getLogger(Enroller.class.getName());

    /** The hub refused (4xx: the token, the request): retrying the same will not help. */
    public static final class Refused extends Exception {
        public final int status;

        Refused(int status, String detail) {
            super("enrollment refused (" + status + "): " + detail);
            this.status = status;
        }
    }

    private final EnrollSettings settings;
    private final HttpClient http;
    private final Codec json = new Codec(1024 * 1024);

    public Enroller(EnrollSettings settings) {
        this.settings = settings;
        this.http = client(settings);
    }

    static HttpClient client(EnrollSettings settings) {
        return settings.caPem() == null ? HttpClient.newBuilder().connectTimeout(settings.timeout()).build()
                : HttpClient.newBuilder().connectTimeout(settings.timeout()).sslContext(sslTrusting(settings.caPem())).build();
    }

    public boolean enrolled() {
        return Files.isReadable(settings.dir().resolve(CERT)) && Files.isReadable(settings.dir().resolve(KEY))
                && Files.isReadable(settings.dir().resolve(CA));
    }

    /** Enrolls unless already enrolled. IOException: the hub was not reached or failed (5xx) — try again later. */
    public void ensure() throws IOException, Refused, InterruptedException {
        if (enrolled()) {
            return;
        }
        Path dir = settings.dir();
        DurableFiles.privateDirectory(dir);
        KeyPair keys = newKey(dir.resolve(KEY));
        Map<String, String> request = new java.util.LinkedHashMap<>(Map.of("site", settings.site(),
                "node", settings.node(), "csr", csr(settings, keys)));
        if (settings.hardwareId() != null) {
            request.put("hardwareId", settings.hardwareId());
        }
        String body = new String(json.bytesOf(request), StandardCharsets.UTF_8);
        HttpRequest req = HttpRequest.newBuilder(settings.hub().resolve("enroll/v1")).timeout(settings.timeout())
                .header("Content-Type", "application/json").header("X-Gk8s-Claim", settings.token())
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() >= 500) {
            throw new IOException("the hub answered " + res.statusCode());
        }
        if (res.statusCode() == 202) { // a claim made with approval: asked again with the backoff until approved
            throw new IOException("waiting for an admin to approve this node's enrollment");
        }
        JsonNode answer = answer(json, res.body());
        if (res.statusCode() != 200) {
            throw new Refused(res.statusCode(), answer.path("detail").asText("no detail"));
        }
        String chain = answer.path("chain").asText();
        String ca = answer.path("ca").asText();
        try { // both must parse, and the certificate must be for our key
            var cert = CertificateFactory.getInstance("X.509").generateCertificates(
                    new java.io.ByteArrayInputStream(chain.getBytes(StandardCharsets.US_ASCII)));
            CertificateFactory.getInstance("X.509").generateCertificates(
                    new java.io.ByteArrayInputStream(ca.getBytes(StandardCharsets.US_ASCII)));
            if (cert.isEmpty() || !cert.iterator().next().getPublicKey().equals(keys.getPublic())) {
                throw new IOException("the hub's certificate is not for this node's key");
            }
        } catch (GeneralSecurityException e) {
            throw new IOException("unreadable certificates from the hub: " + e.getMessage(), e);
        }
        if (answer.hasNonNull("pair")) { // before the certificate: a node counts as enrolled once node.pem is there
            writePair(dir, answer.path("pair"));
        }
        DurableFiles.write(dir.resolve(CA), ca.getBytes(StandardCharsets.US_ASCII));
        DurableFiles.write(dir.resolve(CERT), chain.getBytes(StandardCharsets.US_ASCII));
        LOG.info("enrolled as " + settings.site() + "/" + settings.node() + ", certificate serial "
                + answer.path("serial").asText() + " until " + answer.path("notAfter").asText());
    }

    /** The hub's answer as JSON; an empty body is an empty object, one that is not JSON an IOException. */
    static JsonNode answer(Codec json, String body) throws IOException {
        JsonNode answer = json.tree(body.getBytes(StandardCharsets.UTF_8));
        return answer.isMissingNode() ? com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
                : answer;
    }

    /**
     * The site's pair as this node's settings ({@code ha.peer-node}, {@code ha.peer-address}, {@code pg.peer-host},
     * {@code vip.address}, {@code ha.peer-key-file}, {@code pg.secret-file}) in {@value #PAIR}, the peer-link key in
     * {@value #PEER_KEY} and the database secret in {@value #PG_SECRET}; all 0600.
     * Refused unless every value has its expected form: the hub's answer is not trusted to write arbitrary settings.
     */
    static void writePair(Path dir, JsonNode pair) throws IOException {
        String peer = pair.path("peerNode").asText("");
        String address = pair.path("peerAddress").asText("");
        String vip = pair.path("vip").asText("");
        String key = pair.path("peerKey").asText("");
        String pgSecret = pair.path("pgSecret").asText("");
        if (!peer.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?") || !address.matches("\\d{1,3}(\\.\\d{1,3}){3}:\\d{1,5}")
                || !vip.matches("\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}") || !key.matches("[0-9a-f]{64}")
                || !pgSecret.matches("([0-9a-f]{64})?")) {
            throw new IOException("the hub's pair configuration is malformed");
        }
        DurableFiles.write(dir.resolve(PEER_KEY), key.getBytes(StandardCharsets.US_ASCII));
        if (!pgSecret.isEmpty()) { // a hub from before the database secret sends none
            DurableFiles.write(dir.resolve(PG_SECRET), pgSecret.getBytes(StandardCharsets.US_ASCII));
        }
        String props = "# the site's pair, from enrollment; settings in the agent's own config take precedence\n"
                + "ha.peer-node=" + peer + "\nha.peer-address=" + address + "\npg.peer-host="
                + address.substring(0, address.indexOf(':')) + "\nvip.address=" + vip + "\nha.peer-key-file="
                + dir.resolve(PEER_KEY).toAbsolutePath() + "\n"
                + (pgSecret.isEmpty() ? "" : "pg.secret-file=" + dir.resolve(PG_SECRET).toAbsolutePath() + "\n");
        DurableFiles.write(dir.resolve(PAIR), props.getBytes(StandardCharsets.US_ASCII));
    }

    /** A new P-256 key, written (0600) before the request leaves: the key never leaves this node. */
    private static KeyPair newKey(Path file) throws IOException {
        KeyPair keys = p256();
        DurableFiles.write(file, keyPem(keys));
        return keys;
    }

    static KeyPair p256() throws IOException {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot make this node's key: " + e.getMessage(), e);
        }
    }

    static byte[] keyPem(KeyPair keys) {
        return ("-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(keys.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n").getBytes(StandardCharsets.US_ASCII);
    }

    static String csr(EnrollSettings settings, KeyPair keys) throws IOException {
        try {
            var request = new JcaPKCS10CertificationRequestBuilder(
                    new X500Name("CN=" + settings.site() + "/" + settings.node()), keys.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
            StringWriter out = new StringWriter();
            try (JcaPEMWriter w = new JcaPEMWriter(out)) {
                w.writeObject(request);
            }
            return out.toString();
        } catch (OperatorCreationException e) {
            throw new IOException("cannot sign the certificate request: " + e.getMessage(), e);
        }
    }

    private static javax.net.ssl.SSLContext sslTrusting(Path caPem) {
        try (var in = Files.newInputStream(caPem)) {
            var ts = java.security.KeyStore.getInstance("PKCS12");
            ts.load(null, null);
            int i = 0;
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                ts.setCertificateEntry("ca-" + i++, c);
            }
            var tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ts);
            var ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("enroll.ca: cannot load " + caPem + ": " + e.getMessage(), e);
        }
    }
}
