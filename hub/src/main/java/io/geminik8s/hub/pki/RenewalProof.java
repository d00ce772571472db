package io.geminik8s.hub.pki;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

/**
 * A node's proof, when it asks for a new certificate, that it holds a current one: the certificate (issued by this
 * fleet's intermediate, within its validity, for {@code CN=<site>/<node>}) and a signature by its key over
 * {@link #payload} — a fresh timestamp and the new request — so the proof is bound to that request and short-lived.
 */
public final class RenewalProof {

    public static final Duration MAX_SKEW = Duration.ofMinutes(5);
    private static final int MAX_PEM_CHARS = 8192;

    private RenewalProof() {
    }

    /** What the node signs (SHA256withECDSA, its current key). */
    public static byte[] payload(long timestampMs, String csrPem) {
        return ("gk8s-renew:v1\n" + timestampMs + "\n" + csrPem).getBytes(StandardCharsets.UTF_8);
    }

    /** The serial (hex) of the node's current certificate, once every check passed. */
    public static String verify(FleetCa ca, String site, String node, String certificatePem, String csrPem,
                                long timestampMs, String signatureBase64, Instant now) throws CsrRefused {
        if (certificatePem == null || certificatePem.length() > MAX_PEM_CHARS || signatureBase64 == null) {
            throw new CsrRefused("the current certificate and a signature are required");
        }
        X509Certificate current;
        try {
            List<X509Certificate> chain = Pem.readCertificates(certificatePem);
            if (chain.isEmpty()) {
                throw new CsrRefused("no current certificate");
            }
            current = chain.get(0);
        } catch (IllegalArgumentException e) {
            throw new CsrRefused("the current certificate is not PEM");
        }
        try {
            current.verify(ca.intermediate().getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new CsrRefused("the current certificate is not from this fleet's CA");
        }
        try {
            current.checkValidity(java.util.Date.from(now));
        } catch (GeneralSecurityException e) {
            throw new CsrRefused("the current certificate is not valid now (expired: enroll again with a claim)");
        }
        if (!current.getSubjectX500Principal().getName().equals("CN=" + site + "/" + node)) {
            throw new CsrRefused("the current certificate is not " + site + "/" + node + "'s");
        }
        if (Math.abs(now.toEpochMilli() - timestampMs) > MAX_SKEW.toMillis()) {
            throw new CsrRefused("the proof's timestamp is more than " + MAX_SKEW.toMinutes() + " minutes off");
        }
        try {
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initVerify(current.getPublicKey());
            s.update(payload(timestampMs, csrPem));
            if (!s.verify(Base64.getDecoder().decode(signatureBase64))) {
                throw new CsrRefused("the proof's signature does not verify with the current certificate");
            }
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new CsrRefused("the proof's signature does not verify with the current certificate");
        }
        return current.getSerialNumber().toString(16);
    }
}
