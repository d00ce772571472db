package io.geminik8s.hub.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fleet CA on disk (keys encrypted, 0600), node and hub certificates, and a node's certificate path. */
class FleetCaTest {

    @TempDir
    Path dir;
    private FleetCa ca;

    @BeforeEach
    void generate() {
        ca = CaFiles.open(dir, dir.resolve(CaFiles.PASSPHRASE), true);
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void keysAreEncryptedAndOwnerOnly() throws Exception {
        for (String f : List.of(CaFiles.KEY, CaFiles.ROOT_KEY, CaFiles.PASSPHRASE)) {
            assertEquals("rw-------", mode(dir.resolve(f)), f);
        }
        assertEquals("rwx------", mode(dir));
        for (String f : List.of(CaFiles.KEY, CaFiles.ROOT_KEY)) {
            String text = Files.readString(dir.resolve(f));
            assertTrue(text.startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"), f + " is encrypted PKCS#8");
        }
        // opened again from the files: same intermediate
        assertEquals(ca.intermediate(), CaFiles.open(dir, dir.resolve(CaFiles.PASSPHRASE), false).intermediate());
    }

    @Test
    void aWrongPassphraseOrAnOpenPassphraseFileIsRefused() throws Exception {
        Path wrong = dir.resolve("wrong.passphrase");
        Files.writeString(wrong, "not-the-passphrase-at-all\n");
        Files.setPosixFilePermissions(wrong, PosixFilePermissions.fromString("rw-------"));
        var e = assertThrows(IllegalStateException.class, () -> CaFiles.open(dir, wrong, false));
        assertTrue(e.getMessage().contains("wrong passphrase"), e.getMessage());
        Files.setPosixFilePermissions(dir.resolve(CaFiles.PASSPHRASE), PosixFilePermissions.fromString("rw-r--r--"));
        e = assertThrows(IllegalStateException.class, () -> CaFiles.open(dir, dir.resolve(CaFiles.PASSPHRASE), false));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    }

    @Test
    void anExistingKeyIsNeverOverwritten() {
        assertThrows(IllegalStateException.class, () -> CaFiles.initRoot(dir, "0123456789abcdef".toCharArray()));
    }

    @Test
    void aNodeCertificateNamesTheNodeAndChainsToTheRoot() throws Exception {
        KeyPair keys = Csrs.p256();
        NodeCsr csr = NodeCsr.check(Csrs.pem("CN=store-1/a", keys), "store-1", "a");
        FleetCa.Issued issued = ca.issueNode(csr, Duration.ofDays(30));
        X509Certificate c = issued.certificate();
        assertEquals("CN=store-1/a", c.getSubjectX500Principal().getName());
        assertEquals(List.of(List.of(6, "urn:gk8s:node:store-1:a")), c.getSubjectAlternativeNames().stream()
                .map(List::copyOf).toList());
        assertEquals(List.of("1.3.6.1.5.5.7.3.2"), c.getExtendedKeyUsage(), "client authentication only");
        assertEquals(-1, c.getBasicConstraints(), "not a CA");
        assertEquals(keys.getPublic(), c.getPublicKey());
        long lifetime = c.getNotAfter().getTime() - c.getNotBefore().getTime();
        assertEquals(Duration.ofDays(30).plus(CertBuilder.BACKDATE).toMillis(), lifetime, 1000);
        assertTrue(c.getSerialNumber().signum() > 0 && c.getSerialNumber().bitLength() > 64, "random serial");
        assertNotEquals(c.getSerialNumber(), ca.issueNode(csr, Duration.ofDays(30)).certificate().getSerialNumber());

        var path = CertificateFactory.getInstance("X.509").generateCertPath(issued.chain());
        var params = new PKIXParameters(Set.of(new TrustAnchor(ca.root(), null)));
        params.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(path, params); // throws if the chain does not hold
    }

    @Test
    void theHubHasAClientCertificateOfItsOwn() throws Exception {
        X509Certificate c = ca.issueHub(Csrs.p256().getPublic(), Duration.ofDays(30)).certificate();
        assertEquals(FleetCa.HUB_SUBJECT, c.getSubjectX500Principal().getName());
        assertEquals(List.of("1.3.6.1.5.5.7.3.2"), c.getExtendedKeyUsage());
        c.verify(ca.intermediate().getPublicKey());
    }

    @Test
    void issueHubWritesTheHubsCertificateAndItsKeyOwnerOnly() throws Exception {
        Path out = dir.resolve("hub-client");
        CaFiles.main("issue-hub", dir.toString(), dir.resolve(CaFiles.PASSPHRASE).toString(), out.toString(), "90");
        assertEquals("rw-------", mode(out.resolve(CaFiles.HUB_KEY)));
        assertEquals("rw-------", mode(out.resolve(CaFiles.HUB_CERT)));
        assertEquals("rwx------", mode(out));
        List<X509Certificate> chain = Pem.readCertificates(Files.readString(out.resolve(CaFiles.HUB_CERT)));
        assertEquals(List.of(FleetCa.HUB_SUBJECT, ca.intermediate().getSubjectX500Principal().getName()),
                chain.stream().map(c -> c.getSubjectX500Principal().getName()).toList());
        long days = Duration.between(chain.get(0).getNotBefore().toInstant(), chain.get(0).getNotAfter().toInstant())
                .toDays();
        assertEquals(90, days); // 90 days and the 5 minutes' backdating
        // the key is the certificate's
        var key = Pem.readPrivateKey(Files.readString(out.resolve(CaFiles.HUB_KEY)));
        var sig = java.security.Signature.getInstance("SHA256withECDSA");
        sig.initSign(key);
        sig.update(new byte[] {1, 2, 3});
        byte[] signed = sig.sign();
        sig.initVerify(chain.get(0).getPublicKey());
        sig.update(new byte[] {1, 2, 3});
        assertTrue(sig.verify(signed));
        // never beyond the intermediate
        FleetCa.Issued longer = CaFiles.issueHub(ca, out, Duration.ofDays(5000));
        assertTrue(!longer.certificate().getNotAfter().after(ca.intermediate().getNotAfter()));
    }

    @Test
    void theBrokerTrustsOnlyTheIntermediateAndItsKeyStoresAreOwnerOnly() throws Exception {
        var tls = ca.brokerTls(dir.resolve("broker"), 0, List.of("localhost", "127.0.0.1"));
        assertEquals("rw-------", mode(tls.keystore()));
        assertEquals("rw-------", mode(tls.truststore()));
        var ts = java.security.KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(tls.truststore())) {
            ts.load(in, tls.truststorePassword().toCharArray());
        }
        assertEquals(List.of("fleet-intermediate"), java.util.Collections.list(ts.aliases()));
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.toString().endsWith(".tmp")));
        }
    }
}
