package io.geminik8s.agent.backup;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * TLS between the two nodes' pgBackRest servers (docs/backup.md, "The peer repository"). Both nodes derive the same
 * <b>site CA key</b> from the site's database secret (a P-256 scalar from an HMAC of it, as {@link BackupKey} derives
 * the repository key), so no CA has to be handed out: each node signs a certificate for itself — a key of its own,
 * CN = its node id (what the peer's server authorizes, {@code tls-server-auth}), and its address as a DNS and an IP
 * name (pgBackRest 2.45 matches the host it dialled against CN and DNS names only). Anyone holding the site secret
 * can mint such a certificate; the secret already is the site database's superuser password. Never the node's fleet
 * identity key: whatever {@code postgres} can read, a database superuser can read too.
 */
final class PeerTls {

    static final String CA = "ca.crt";
    static final String CERT = "node.crt";
    static final String KEY = "node.key";
    static final Duration LIFETIME = Duration.ofDays(400);
    static final Duration RENEW_BEFORE = Duration.ofDays(30);
    private static final X500Name CA_NAME = new X500Name("CN=gk8s-site-backup-ca");

    private PeerTls() {
    }

    /** The files a pgBackRest server or client of this node names. */
    record Files3(Path ca, Path cert, Path key) {
    }

    static Files3 files(Path dir) {
        return new Files3(dir.resolve(CA), dir.resolve(CERT), dir.resolve(KEY));
    }

    /**
     * The site CA and this node's certificate in {@code dir} (0600 files of the server's OS user through
     * {@code write}), made anew when absent, for another name or address, from another site secret, or near expiry.
     * True when anything was written (a running server must be restarted to read it).
     */
    static boolean ensure(Path dir, String caSeed, String node, String address, FileWriter write) {
        KeyPair ca = caKeys(caSeed);
        Files3 f = files(dir);
        if (current(f, ca.getPublic(), node, address)) {
            return false;
        }
        try {
            Instant now = Instant.now();
            X509Certificate caCert = sign(CA_NAME, ca.getPublic(), ca, now, true, null);
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair mine = g.generateKeyPair();
            X509Certificate cert = sign(new X500Name("CN=" + node), mine.getPublic(), ca, now, false, address);
            write.directory(dir);
            write.file(f.key(), pem(mine.getPrivate()));
            write.file(f.cert(), pem(cert));
            write.file(f.ca(), pem(caCert));
            return true;
        } catch (GeneralSecurityException | OperatorCreationException | IOException | IllegalArgumentException e) {
            throw new IllegalStateException(node + ": cannot make the backup TLS certificate: " + e.getMessage(), e);
        }
    }

    /** How files are written: {@code PgArchive.privateFile} and {@code privateDirectory} in the agent. */
    interface FileWriter {
        void directory(Path dir);

        void file(Path file, String text);

        /** 0600 files in 0700 folders of the server's OS user. */
        static FileWriter of(io.geminik8s.agent.pg.PgArchive files) {
            return new FileWriter() {
                @Override
                public void directory(Path dir) {
                    files.privateDirectory(dir);
                }

                @Override
                public void file(Path file, String text) {
                    files.privateFile(file, text);
                }
            };
        }
    }

    /** The CA key pair every node of the site derives alike from its secret. */
    static KeyPair caKeys(String caSeed) {
        try {
            var curve = CustomNamedCurves.getByName("secp256r1");
            BigInteger n = curve.getN();
            BigInteger d = new BigInteger(caSeed, 16).mod(n.subtract(BigInteger.ONE))
                    .add(BigInteger.ONE);
            org.bouncycastle.math.ec.ECPoint q = curve.getG().multiply(d).normalize();
            AlgorithmParameters p = AlgorithmParameters.getInstance("EC");
            p.init(new ECGenParameterSpec("secp256r1"));
            ECParameterSpec params = p.getParameterSpec(ECParameterSpec.class);
            KeyFactory kf = KeyFactory.getInstance("EC");
            PrivateKey priv = kf.generatePrivate(new ECPrivateKeySpec(d, params));
            PublicKey pub = kf.generatePublic(new ECPublicKeySpec(new ECPoint(q.getAffineXCoord().toBigInteger(),
                    q.getAffineYCoord().toBigInteger()), params));
            return new KeyPair(pub, priv);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("EC P-256 is missing from this runtime", e);
        }
    }

    private static boolean current(Files3 f, PublicKey caKey, String node, String address) {
        try {
            if (!Files.isRegularFile(f.key(), LinkOption.NOFOLLOW_LINKS)
                    || !Files.isRegularFile(f.ca(), LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
            X509Certificate c = read(f.cert());
            c.verify(caKey); // signed by this site's CA (the secret did not change)
            if (!matches(readKey(f.key()), c)) { // a crash between writing the key and its certificate
                return false;
            }
            if (!read(f.ca()).getPublicKey().equals(caKey)) {
                return false;
            }
            boolean named = c.getSubjectX500Principal().getName().equals("CN=" + node)
                    && c.getSubjectAlternativeNames() != null && c.getSubjectAlternativeNames().stream()
                    .anyMatch(n -> address.equals(n.get(1)));
            return named && c.getNotAfter().toInstant().isAfter(Instant.now().plus(RENEW_BEFORE));
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            return false; // unreadable or not ours: made anew
        }
    }

    private static PrivateKey readKey(Path file) throws IOException, GeneralSecurityException {
        String pem = Files.readString(file);
        String b64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("EC").generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(
                java.util.Base64.getDecoder().decode(b64)));
    }

    /** Whether {@code key} is the private half of {@code cert}'s public key: a signature one makes the other checks. */
    private static boolean matches(PrivateKey key, X509Certificate cert) throws GeneralSecurityException {
        byte[] probe = "gk8s-peer-tls-key-check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        java.security.Signature s = java.security.Signature.getInstance("SHA256withECDSA");
        s.initSign(key);
        s.update(probe);
        byte[] sig = s.sign();
        s.initVerify(cert.getPublicKey());
        s.update(probe);
        return s.verify(sig);
    }

    private static X509Certificate read(Path file) throws IOException, GeneralSecurityException {
        try (var in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private static X509Certificate sign(X500Name subject, PublicKey key, KeyPair ca, Instant now, boolean isCa,
                                        String address) throws GeneralSecurityException, OperatorCreationException,
            IOException {
        var b = new JcaX509v3CertificateBuilder(CA_NAME, new BigInteger(64, new SecureRandom()),
                Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(LIFETIME)), subject, key);
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key));
        b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca.getPublic()));
        if (isCa) {
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            List<GeneralName> names = new java.util.ArrayList<>(List.of(new GeneralName(GeneralName.dNSName, address)));
            if (org.bouncycastle.util.IPAddress.isValid(address)) { // "db1" or "cafe" are names, not addresses
                names.add(new GeneralName(GeneralName.iPAddress, address));
            }
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
        }
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ca.getPrivate())));
    }

    private static String pem(Object o) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(o instanceof PrivateKey k ? new JcaPKCS8Generator(k, null) : o);
        }
        return out.toString();
    }
}
