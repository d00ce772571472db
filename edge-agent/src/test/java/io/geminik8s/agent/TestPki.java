package io.geminik8s.agent;

import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A throw-away CA issuing ECDSA P-256 certificates for TLS tests (the fleet CA itself comes with enrollment). */
public final class TestPki {

    public record Issued(KeyPair keys, X509Certificate cert) {
    }

    private final Issued ca;
    private long serial = 1;

    public TestPki() throws Exception {
        KeyPair keys = keyPair();
        ca = new Issued(keys, sign("CN=gk8s test CA", keys, "CN=gk8s test CA", keys.getPrivate(), true, null));
    }

    public Issued issue(String cn, String ip) throws Exception {
        KeyPair keys = keyPair();
        return new Issued(keys, sign(cn, keys, "CN=gk8s test CA", ca.keys().getPrivate(), false, ip));
    }

    public X509Certificate caCert() {
        return ca.cert();
    }

    void pkcs12(Path file, String password, Issued who) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("key", who.keys().getPrivate(), password.toCharArray(),
                new Certificate[] {who.cert(), ca.cert()});
        try (OutputStream out = Files.newOutputStream(file)) {
            ks.store(out, password.toCharArray());
        }
    }

    void truststore(Path file, String password) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("ca", ca.cert());
        try (OutputStream out = Files.newOutputStream(file)) {
            ks.store(out, password.toCharArray());
        }
    }

    public static void pem(Path file, String type, byte[] der) throws Exception {
        Files.writeString(file, "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der) + "\n-----END " + type + "-----\n");
    }

    public static void keyPem(Path file, PrivateKey key) throws Exception {
        pem(file, "PRIVATE KEY", key.getEncoded()); // PKCS#8
    }

    private static KeyPair keyPair() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private X509Certificate sign(String subject, KeyPair keys, String issuer, PrivateKey issuerKey, boolean isCa,
                                 String ip) throws Exception {
        Instant now = Instant.now();
        var b = new JcaX509v3CertificateBuilder(new X500Name(issuer), BigInteger.valueOf(serial++),
                Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(30))),
                new X500Name(subject), keys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
        if (ip != null) {
            b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.iPAddress, ip)));
        }
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
    }
}
