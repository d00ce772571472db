package io.geminik8s.agent.enroll;

import com.fasterxml.jackson.databind.JsonNode;
import io.geminik8s.protocol.Codec;
import io.geminik8s.agent.state.DurableFiles;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Renews the enrolled certificate before it expires: once less than {@code renewBefore} of its validity is left,
 * a new key and request, proven with the current key ({@code POST /enroll/v1/renew}). The new pair is written next
 * to the old one ({@code *.next}) and then swapped in, key first; {@link #recover} finishes a swap a crash cut
 * short. The link presents the new certificate from its next connection (it reloads the PEM files).
 */
public final class Renewer {

    private static final Logger LOG = Logger.getLogger(Renewer.class.getName());
    private final EnrollSettings settings;
    private final Duration renewBefore;
    private final HttpClient http;
    private final Codec json = new Codec(1024 * 1024);

    public Renewer(EnrollSettings settings, Duration renewBefore) {
        this.settings = settings;
        this.renewBefore = renewBefore;
        this.http = Enroller.client(settings);
    }

    /** Completes a swap that a crash interrupted after the key was moved (the certificate is moved last). */
    public void recover() throws IOException {
        Path next = settings.dir().resolve(Enroller.CERT + ".next");
        if (Files.exists(next) && Files.notExists(settings.dir().resolve(Enroller.KEY + ".next"))) {
            Files.move(next, settings.dir().resolve(Enroller.CERT), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            DurableFiles.fsyncDirectory(settings.dir());
        }
    }

    /** Renews if due at {@code now}; true when it did. IOException: not reached or refused, try again later. */
    public synchronized boolean renewIfDue(Instant now) throws IOException, InterruptedException {
        recover();
        X509Certificate current = first(Files.readString(settings.dir().resolve(Enroller.CERT)));
        if (current.getNotAfter().toInstant().minus(renewBefore).isAfter(now)) {
            return false;
        }
        renew(now);
        return true;
    }

    /** The serial (hex, as the hub shows it) of the certificate the node holds now. */
    public synchronized String currentSerial() throws IOException {
        recover();
        return first(Files.readString(settings.dir().resolve(Enroller.CERT))).getSerialNumber().toString(16);
    }

    /** Renews now, due or not (a rotation); returns the new serial. IOException: not reached or refused. */
    public synchronized String renew(Instant now) throws IOException, InterruptedException {
        recover();
        Path dir = settings.dir();
        KeyPair next = Enroller.p256();
        String csr = Enroller.csr(settings, next);
        long ts = now.toEpochMilli();
        String body;
        try {
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initSign(currentKey(dir.resolve(Enroller.KEY)));
            s.update(("gk8s-renew:v1\n" + ts + "\n" + csr).getBytes(StandardCharsets.UTF_8));
            Map<String, Object> request = new java.util.LinkedHashMap<>(Map.of("site", settings.site(),
                    "node", settings.node(), "csr", csr, "certificate", Files.readString(dir.resolve(Enroller.CERT)),
                    "timestamp", ts, "signature", Base64.getEncoder().encodeToString(s.sign())));
            if (settings.hardwareId() != null) { // as at enrollment; the hub refuses another once it recorded one
                request.put("hardwareId", settings.hardwareId());
            }
            body = new String(json.bytesOf(request), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot sign the renewal proof: " + e.getMessage(), e);
        }
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(settings.hub().resolve("enroll/v1/renew"))
                .timeout(settings.timeout()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode answer = Enroller.answer(json, res.body());
        if (res.statusCode() != 200) {
            throw new IOException("renewal refused (" + res.statusCode() + "): " + answer.path("detail").asText());
        }
        String chain = answer.path("chain").asText();
        if (!first(chain).getPublicKey().equals(next.getPublic())) {
            throw new IOException("the hub's certificate is not for the new key");
        }
        DurableFiles.write(dir.resolve(Enroller.KEY + ".next"), Enroller.keyPem(next));
        DurableFiles.write(dir.resolve(Enroller.CERT + ".next"), chain.getBytes(StandardCharsets.US_ASCII));
        Files.move(dir.resolve(Enroller.KEY + ".next"), dir.resolve(Enroller.KEY), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
        recover();
        io.geminik8s.agent.link.TlsFactory.certificateReplaced();
        LOG.info("certificate renewed: serial " + answer.path("serial").asText() + " until "
                + answer.path("notAfter").asText());
        return answer.path("serial").asText();
    }

    private static X509Certificate first(String pem) throws IOException {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificates(
                    new java.io.ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))).iterator().next();
        } catch (GeneralSecurityException | java.util.NoSuchElementException e) {
            throw new IOException("unreadable certificate: " + e.getMessage(), e);
        }
    }

    private static PrivateKey currentKey(Path file) throws IOException, GeneralSecurityException {
        String pem = Files.readString(file).replaceAll("-----[A-Z ]+-----", "");
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(pem)));
    }
}
