package io.geminik8s.hub.pki;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The fleet intermediate's certificate revocation list (RFC 5280 v2 CRL, SHA256withECDSA), for brokers that check
 * revocation at the TLS handshake (Mosquitto's {@code crlfile}; docs/security.md). It lists every revoked certificate
 * that has not expired yet: an expired one is refused anyway, so the list does not grow forever.
 */
public final class FleetCrl {

    /** How long a CRL is valid: a broker that stops fetching it refuses every client after this (fail closed). */
    public static final Duration VALIDITY = Duration.ofDays(1);

    /** A revoked certificate: its serial, when it was revoked and when it expires. */
    public record Revoked(BigInteger serial, Instant revokedAt, Instant notAfter) {

        /** From the serial as the API lists it (lower-case hex). */
        public static Revoked of(String serialHex, Instant revokedAt, Instant notAfter) {
            return new Revoked(new BigInteger(serialHex, 16), revokedAt, notAfter);
        }
    }

    private FleetCrl() {
    }

    /** The entries a CRL issued at {@code now} lists: not yet expired, by serial. */
    static List<Revoked> listed(Collection<Revoked> revoked, Instant now) {
        return revoked.stream().filter(r -> r.notAfter().isAfter(now))
                .sorted(Comparator.comparing(Revoked::serial)).toList();
    }

    /**
     * Signs a CRL issued by {@code issuer} at {@code now}, next update {@code now + validity}; its CRL number is
     * {@code now} in milliseconds, so a later CRL has a larger number.
     */
    static X509CRL build(X509Certificate issuer, PrivateKey key, Collection<Revoked> revoked, Instant now,
                         Duration validity) {
        var b = new X509v2CRLBuilder(X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded()),
                Date.from(now));
        b.setNextUpdate(Date.from(now.plus(validity)));
        try {
            for (Revoked r : listed(revoked, now)) {
                b.addCRLEntry(r.serial(), Date.from(r.revokedAt()), CRLReason.unspecified);
            }
            b.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.valueOf(now.toEpochMilli())));
            b.addExtension(Extension.authorityKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(issuer));
            var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(key);
            return new JcaX509CRLConverter().getCRL(b.build(signer));
        } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
            throw new IllegalStateException("cannot sign the CRL: " + e.getMessage(), e);
        }
    }
}
