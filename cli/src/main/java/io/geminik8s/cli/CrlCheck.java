package io.geminik8s.cli;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.Collection;

/**
 * What {@code gk8s pki crl} checks before it replaces a broker's CRL file: signed by the expected CA (when one is
 * named), and not older than the CRL it replaces — a replayed older CRL would let a revoked node back in.
 */
final class CrlCheck {

    private static final String CRL_NUMBER = "2.5.29.20";

    private CrlCheck() {
    }

    /** Fails unless {@code crl} verifies with one of the certificates in {@code caFile} that issued it. */
    static void signedBy(X509CRL crl, Path caFile) {
        Collection<? extends java.security.cert.Certificate> cas;
        try (InputStream in = Files.newInputStream(caFile)) {
            cas = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (IOException | GeneralSecurityException e) {
            throw new HubClient.Failure("cannot read the CA file " + caFile + ": " + e.getMessage());
        }
        for (var c : cas) {
            X509Certificate ca = (X509Certificate) c;
            if (ca.getSubjectX500Principal().equals(crl.getIssuerX500Principal())) {
                try {
                    crl.verify(ca.getPublicKey());
                    return;
                } catch (GeneralSecurityException e) {
                    throw new HubClient.Failure("the hub's CRL does not verify with " + ca.getSubjectX500Principal()
                            + " from " + caFile + "; nothing was written");
                }
            }
        }
        throw new HubClient.Failure("the hub's CRL is issued by " + crl.getIssuerX500Principal() + ", which is not in "
                + caFile + "; nothing was written");
    }

    /** Fails when {@code existing} holds a CRL of the same issuer with a higher CRL number than {@code crl}. */
    static void notOlderThan(X509CRL crl, Path existing) {
        if (!Files.exists(existing)) {
            return;
        }
        X509CRL old;
        try (InputStream in = Files.newInputStream(existing)) {
            old = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(in);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            return; // not a CRL we can read: nothing to compare (it is replaced)
        }
        BigInteger was = number(old);
        BigInteger now = number(crl);
        if (old.getIssuerX500Principal().equals(crl.getIssuerX500Principal()) && was != null
                && (now == null || now.compareTo(was) < 0)) {
            throw new HubClient.Failure("the hub's CRL (number " + now + ") is older than " + existing + " (number "
                    + was + "): a replayed CRL could un-revoke nodes; nothing was written");
        }
    }

    /** The CRL number extension: an OCTET STRING wrapping a DER INTEGER. */
    static BigInteger number(X509CRL crl) {
        byte[] ext = crl.getExtensionValue(CRL_NUMBER);
        if (ext == null || ext.length < 4 || ext[0] != 0x04 || ext[2] != 0x02) {
            return null;
        }
        int len = ext[3] & 0xff;
        if (len == 0 || 4 + len > ext.length) {
            return null;
        }
        return new BigInteger(java.util.Arrays.copyOfRange(ext, 4, 4 + len));
    }
}
