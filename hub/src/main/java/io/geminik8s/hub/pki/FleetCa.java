package io.geminik8s.hub.pki;

import io.geminik8s.embedded.EmbeddedBroker;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Base64;
import java.util.List;

/**
 * The fleet's online intermediate CA: it signs node certificates from checked requests ({@link NodeCsr}), the hub's
 * own client certificate and the embedded broker's server certificate, and signs its CRL. The root only vouches for the intermediate;
 * its key is not needed here (docs/security.md#keys).
 */
public final class FleetCa {

    /** Subject of the hub's client certificate (an external broker's ACL names it). */
    public static final String HUB_SUBJECT = "CN=gk8s-hub";
    private static final Duration SERVER_LIFETIME = Duration.ofDays(30);

    /** A certificate and the chain to send with it: the certificate, then the intermediate. */
    public record Issued(X509Certificate certificate, List<X509Certificate> chain) {
        public String serialHex() {
            return certificate.getSerialNumber().toString(16);
        }
    }

    private final X509Certificate root;
    private final X509Certificate intermediate;
    private final PrivateKey key;

    FleetCa(X509Certificate root, X509Certificate intermediate, PrivateKey key) {
        this.root = root;
        this.intermediate = intermediate;
        this.key = key;
    }

    public X509Certificate root() {
        return root;
    }

    public X509Certificate intermediate() {
        return intermediate;
    }

    /** Node identity URI in the certificate's subject alternative name. */
    public static String nodeUri(String site, String node) {
        return "urn:gk8s:node:" + site + ":" + node;
    }

    /** A node's client certificate: subject {@code CN=<site>/<node>}, SAN {@link #nodeUri}, for {@code lifetime}. */
    public Issued issueNode(NodeCsr csr, Duration lifetime) {
        return issued(CertBuilder.build(CertBuilder.Kind.CLIENT, "CN=" + csr.site() + "/" + csr.node(),
                csr.publicKey(), intermediate, key, lifetime, List.of(nodeUri(csr.site(), csr.node()))));
    }

    /** The hub's client certificate ({@link #HUB_SUBJECT}), for a broker that authenticates the hub by mTLS. */
    public Issued issueHub(PublicKey hubKey, Duration lifetime) {
        return issued(CertBuilder.build(CertBuilder.Kind.CLIENT, HUB_SUBJECT, hubKey, intermediate, key, lifetime,
                List.of("urn:gk8s:hub")));
    }

    /** This intermediate's CRL at {@code now}: every revoked certificate not yet expired ({@link FleetCrl}). */
    public X509CRL crl(Collection<FleetCrl.Revoked> revoked, Instant now) {
        return FleetCrl.build(intermediate, key, revoked, now, FleetCrl.VALIDITY);
    }

    private Issued issued(X509Certificate c) {
        return new Issued(c, List.of(c, intermediate));
    }

    /**
     * Writes the embedded broker's TLS material into {@code dir} (0600 files, passwords made anew each time): a
     * server key and certificate for {@code hosts}, and a trust store holding only this intermediate, so the broker
     * admits exactly the client certificates it issued (docs/security.md).
     */
    public EmbeddedBroker.Tls brokerTls(Path dir, int port, List<String> hosts) {
        KeyPair server = CertBuilder.p256();
        X509Certificate cert = CertBuilder.build(CertBuilder.Kind.SERVER, "CN=gk8s-broker", server.getPublic(),
                intermediate, key, SERVER_LIFETIME, hosts);
        String password = randomSecret();
        try {
            Path keystore = dir.resolve("broker.p12");
            Path truststore = dir.resolve("broker-clients-ca.p12");
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("broker", server.getPrivate(), password.toCharArray(), new Certificate[]{cert, intermediate});
            store(ks, keystore, password);
            KeyStore ts = KeyStore.getInstance("PKCS12");
            ts.load(null, null);
            ts.setCertificateEntry("fleet-intermediate", intermediate);
            store(ts, truststore, password);
            return new EmbeddedBroker.Tls(port, keystore, password, truststore, password, true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot write the broker's key store: " + e.getMessage(), e);
        }
    }

    private static void store(KeyStore ks, Path file, String password) throws IOException, GeneralSecurityException {
        Path dir = Files.createDirectories(file.toAbsolutePath().getParent());
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (OutputStream out = Files.newOutputStream(file)) {
            ks.store(out, password.toCharArray());
        }
    }

    static String randomSecret() {
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    }
}
