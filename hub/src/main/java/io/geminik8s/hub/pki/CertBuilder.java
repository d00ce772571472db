package io.geminik8s.hub.pki;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Builds the fleet's X.509 certificates: ECDSA P-256 keys, SHA-256 signatures, random 127-bit serials. */
final class CertBuilder {

    enum Kind { ROOT, INTERMEDIATE, CLIENT, SERVER }

    private static final SecureRandom RANDOM = new SecureRandom();
    /** Not-before is set back this much: a node whose clock is a little behind accepts its new certificate. */
    static final Duration BACKDATE = Duration.ofMinutes(5);

    private CertBuilder() {
    }

    static KeyPair p256() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Positive, non-zero, 127 bits of randomness (RFC 5280: at most 20 octets). */
    static BigInteger serial() {
        return new BigInteger(127, RANDOM).setBit(0);
    }

    /**
     * @param issuer null for a self-signed root
     * @param names  SAN entries: {@code urn:...} as URIs, addresses as IP addresses, anything else as DNS names
     */
    static X509Certificate build(Kind kind, String subject, PublicKey key, X509Certificate issuer,
                                 PrivateKey issuerKey, Duration lifetime, List<String> names) {
        Instant now = Instant.now();
        X500Name subjectName = new X500Name(subject);
        X500Name issuerName = issuer == null ? subjectName : X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded());
        try {
            var ext = new JcaX509ExtensionUtils();
            var b = new JcaX509v3CertificateBuilder(issuerName, serial(), Date.from(now.minus(BACKDATE)),
                    Date.from(now.plus(lifetime)), subjectName, key);
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key));
            if (issuer != null) {
                b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuer));
            }
            switch (kind) {
                case ROOT -> caExtensions(b, 1);
                case INTERMEDIATE -> caExtensions(b, 0);
                case CLIENT, SERVER -> {
                    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
                    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
                    b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                            kind == Kind.CLIENT ? KeyPurposeId.id_kp_clientAuth : KeyPurposeId.id_kp_serverAuth));
                }
            }
            if (!names.isEmpty()) {
                b.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(names.stream().map(CertBuilder::generalName).toArray(GeneralName[]::new)));
            }
            var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey);
            return new JcaX509CertificateConverter().getCertificate(b.build(signer));
        } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
            throw new IllegalStateException("cannot build a certificate for " + subject + ": " + e.getMessage(), e);
        }
    }

    private static void caExtensions(JcaX509v3CertificateBuilder b, int pathLength) throws CertIOException {
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(pathLength));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    }

    private static GeneralName generalName(String n) {
        if (n.startsWith("urn:")) {
            return new GeneralName(GeneralName.uniformResourceIdentifier, n);
        }
        return n.matches("[0-9.]+|.*:.*") ? new GeneralName(GeneralName.iPAddress, n)
                : new GeneralName(GeneralName.dNSName, n);
    }
}
