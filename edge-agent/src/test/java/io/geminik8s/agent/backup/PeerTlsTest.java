package io.geminik8s.agent.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.pg.PgSecret;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The site CA both nodes derive from the secret, and the certificate each node signs for itself. */
class PeerTlsTest {

    private static final String SEED = BackupKey.tlsCaSeed(new PgSecret("5e".repeat(32)));

    @TempDir
    Path dir;

    private static final PeerTls.FileWriter PLAIN = new PeerTls.FileWriter() {
        @Override
        public void directory(Path d) {
            try {
                Files.createDirectories(d);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void file(Path f, String text) {
            try {
                Files.writeString(f, text);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private static X509Certificate cert(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private static Set<String> names(X509Certificate c, int type) throws Exception {
        return c.getSubjectAlternativeNames().stream().filter(n -> (Integer) n.get(0) == type)
                .map(n -> (String) n.get(1)).collect(Collectors.toSet());
    }

    @Test
    void bothNodesDeriveTheSameCaAndAnotherSecretAnother() throws Exception {
        assertEquals(PeerTls.caKeys(SEED).getPublic(), PeerTls.caKeys(SEED).getPublic());
        assertNotEquals(PeerTls.caKeys(SEED).getPublic(), PeerTls.caKeys(BackupKey.tlsCaSeed(new PgSecret(
                "77".repeat(32)))).getPublic());
        assertTrue(PeerTls.ensure(dir.resolve("a"), SEED, "a", "10.0.0.1", PLAIN));
        assertTrue(PeerTls.ensure(dir.resolve("b"), SEED, "b", "10.0.0.2", PLAIN));
        X509Certificate a = cert(dir.resolve("a/node.crt"));
        a.verify(cert(dir.resolve("b/ca.crt")).getPublicKey()); // b's CA file trusts a's certificate
        assertEquals("CN=a", a.getSubjectX500Principal().getName());
        assertEquals(Set.of("10.0.0.1"), names(a, 2), "the address as a DNS name (what pgBackRest 2.45 checks)");
        assertEquals(Set.of("10.0.0.1"), names(a, 7), "and as an IP address");
        assertFalse(PeerTls.ensure(dir.resolve("a"), SEED, "a", "10.0.0.1", PLAIN), "current: kept");
        assertTrue(PeerTls.ensure(dir.resolve("a"), BackupKey.tlsCaSeed(new PgSecret("77".repeat(32))), "a",
                "10.0.0.1", PLAIN), "another secret: made anew");
        assertTrue(PeerTls.ensure(dir.resolve("a"), SEED, "a", "10.0.0.9", PLAIN), "another address: made anew");
    }

    @Test
    void aHostNameThatLooksLikeHexIsANameNotAnAddress() throws Exception {
        for (String host : List.of("db1", "cafe", "abc", "node-b.site.example")) {
            Path d = dir.resolve(host);
            assertTrue(PeerTls.ensure(d, SEED, "b", host, PLAIN), host);
            X509Certificate c = cert(d.resolve("node.crt"));
            assertEquals(Set.of(host), names(c, 2), host);
            assertTrue(c.getSubjectAlternativeNames().stream().noneMatch(n -> (Integer) n.get(0) == 7), host);
        }
        assertEquals(Set.of("fd00:0:0:0:0:0:0:2"), names(cert(ensured("fd00::2")), 7), "an IPv6 address");
    }

    private Path ensured(String host) {
        Path d = dir.resolve("v6");
        PeerTls.ensure(d, SEED, "b", host, PLAIN);
        return d.resolve("node.crt");
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsMadeAnew() throws Exception {
        Path a = dir.resolve("a");
        Path other = dir.resolve("other");
        PeerTls.ensure(a, SEED, "a", "10.0.0.1", PLAIN);
        PeerTls.ensure(other, SEED, "a", "10.0.0.1", PLAIN);
        // a crash between writing a new key and its certificate: the new key beside the old, valid certificate
        Files.copy(other.resolve("node.key"), a.resolve("node.key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertTrue(PeerTls.ensure(a, SEED, "a", "10.0.0.1", PLAIN), "a key that does not match is made anew");
        assertFalse(PeerTls.ensure(a, SEED, "a", "10.0.0.1", PLAIN));
    }
}
