package io.geminik8s.agent.pg;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * TLS for a pair's PostgreSQL with a key of its own: the agent makes a P-256 key and a self-signed certificate for
 * the server ({@code <pg.data>.tls/server.key}, {@code server.crt}: 0600, owned by the server's OS user, in a 0700
 * folder), never the node's fleet identity key — whatever the server can read, a database superuser can read too.
 * Clients do not check that certificate against a CA; they require SCRAM with channel binding
 * ({@code channel_binding=require}, SCRAM-SHA-256-PLUS), which ties the password exchange to the certificate the
 * server presented: a man in the middle with a certificate of its own cannot complete the login. A new key and
 * certificate are made when asked ({@link #rotate}: the node's certificate rotation) or when fewer than
 * {@link #RENEW_BEFORE} of its {@link #LIFETIME} remain.
 */
final class PgTls {

    static final String CERT = "server.crt";
    static final String KEY = "server.key";
    static final Duration LIFETIME = Duration.ofDays(400);
    static final Duration RENEW_BEFORE = Duration.ofDays(30);

    private PgTls() {
    }

    static Path dir(PgControl pg) {
        return pg.data.resolveSibling(pg.data.getFileName() + ".tls");
    }

    /** A key and certificate in place, made anew when absent, unreadable or near expiry; true when made. */
    static boolean ensure(PgControl pg) {
        Path cert = dir(pg).resolve(CERT);
        try {
            if (Files.exists(cert, java.nio.file.LinkOption.NOFOLLOW_LINKS) && Files.isRegularFile(cert,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS) && Files.exists(dir(pg).resolve(KEY))) {
                X509Certificate c;
                try (var in = Files.newInputStream(cert, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    c = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
                }
                if (c.getNotAfter().toInstant().isAfter(Instant.now().plus(RENEW_BEFORE))) {
                    return false;
                }
            }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            // unreadable: made anew below
        }
        rotate(pg);
        return true;
    }

    /** A new key and self-signed certificate (the old ones replaced atomically, key first). */
    static void rotate(PgControl pg) {
        Path dir = dir(pg);
        try {
            PgAuth.privateDirectory(pg, dir);
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair keys = g.generateKeyPair();
            Instant now = Instant.now();
            X500Name name = new X500Name("CN=gk8s-postgres-" + pg.name);
            var builder = new JcaX509v3CertificateBuilder(name, new BigInteger(64, new SecureRandom()),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(LIFETIME)), name, keys.getPublic());
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
            PgAuth.privateFile(pg, dir.resolve(KEY), pem(keys.getPrivate()));
            PgAuth.privateFile(pg, dir.resolve(CERT), ("-----BEGIN CERTIFICATE-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(cert.getEncoded())
                    + "\n-----END CERTIFICATE-----\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException(pg.name + ": cannot write PostgreSQL's TLS key and certificate", e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException(pg.name + ": cannot make PostgreSQL's TLS key and certificate", e);
        }
    }

    private static byte[] pem(java.security.PrivateKey key) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(key, null));
        }
        return out.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** The server's settings: TLS on, with its own key and certificate. */
    static List<String> serverSettings(PgControl pg) {
        Path dir = dir(pg).toAbsolutePath();
        return List.of("-c", "ssl=on", "-c", "ssl_cert_file=" + dir.resolve(CERT), "-c", "ssl_key_file="
                + dir.resolve(KEY), "-c", "ssl_min_protocol_version=TLSv1.2");
    }

    /**
     * A libpq client's options: TLS, and SCRAM bound to the server's certificate. No client certificate: libpq
     * would look in $HOME/.postgresql (root's, unreadable to the server's user), so it is pointed at a file that
     * does not exist, which libpq skips.
     */
    static String clientOptions(PgControl pg) {
        Path none = dir(pg).toAbsolutePath().resolve("no-client-certificate");
        return " sslmode=require channel_binding=require sslcert=" + none + " sslkey=" + none;
    }
}
