package io.geminik8s.agent.upgrade;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.geminik8s.agent.TestPki;
import io.geminik8s.agent.artifact.ArtifactStore;
import io.geminik8s.protocol.CertificateFiles;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review probes (attacker review of certificate files, 22b5790): what the one validator (protocol CertificateFiles,
 * used by the hub's TemplateRules and the agent) lets through, and files left in place by an overtaken install.
 * Each test FAILS on the code as reviewed; what it shows is in its javadoc.
 */
class ReviewProbeCertificateFilesTest {

    static final String K3S = "v1.31.4+k3s1";

    @TempDir
    Path dir;
    private final TestPki pki = new TestPki();
    private final TestPki other = new TestPki();
    private final List<String> restarts = new CopyOnWriteArrayList<>();
    private final UpgradeCoordinatorTest.FakePair pair = new UpgradeCoordinatorTest.FakePair();

    ReviewProbeCertificateFilesTest() throws Exception {
    }

    /**
     * FINDING (medium): a private key passes as a "certificate". When the first PEM block is a PKCS#7 (a degenerate
     * SignedData holding N certificates), Java's CertificateFactory.generateCertificates returns that block's N
     * certificates and never reads the rest of the input. CertificateFiles.problem counts N "BEGIN CERTIFICATE"
     * blocks, so N-1 further blocks labelled CERTIFICATE are never parsed: here one carries a PKCS#8 private key
     * (no "PRIVATE KEY" text anywhere). docs/upgrades.md: "no private key (keys never leave their node)". The same
     * trick hides an expired certificate from the expiry check.
     */
    @Test
    void aPrivateKeyLabelledCertificateBehindAPkcs7BlockIsRefused() throws Exception {
        byte[] p7 = CertificateFactory.getInstance("X.509").generateCertPath(List.of(pki.caCert(), other.caCert()))
                .getEncoded("PKCS7");
        byte[] key = pki.issue("CN=secret", null).keys().getPrivate().getEncoded();
        String smuggled = block(p7) + block(key);
        assertThrows(IllegalArgumentException.class, () -> CertificateFiles.parse(
                List.of(Map.of("name", "registry-ca", "pem", smuggled)), Instant.now()),
                "a PKCS#8 private key in a CERTIFICATE block is accepted as a certificate file");
    }

    /** Same trick: an expired certificate behind a PKCS#7 first block escapes "none expired". */
    @Test
    void anExpiredCertificateBehindAPkcs7BlockIsRefused() throws Exception {
        byte[] p7 = CertificateFactory.getInstance("X.509").generateCertPath(List.of(pki.caCert(), other.caCert()))
                .getEncoded("PKCS7");
        String withExpired = block(p7) + block(cert(Instant.now().minus(Duration.ofDays(400)),
                Instant.now().minus(Duration.ofDays(1))).getEncoded());
        assertThrows(IllegalArgumentException.class, () -> CertificateFiles.parse(
                List.of(Map.of("name", "registry-ca", "pem", withExpired)), Instant.now()),
                "an expired certificate passes 'none expired'");
    }

    /**
     * FINDING (low): arbitrary non-certificate text rides along between two certificate blocks (up to 64 KiB of
     * it, e.g. a base64 key without its PEM armour): the check is only that the text starts with BEGIN CERTIFICATE
     * and ends with END CERTIFICATE; CertificateFactory skips anything before a block's "-----BEGIN".
     */
    @Test
    void textBetweenCertificatesIsRefused() throws Exception {
        String key = Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(
                pki.issue("CN=secret", null).keys().getPrivate().getEncoded());
        String pem = block(pki.caCert().getEncoded()) + "this is no certificate:\n" + key + "\n"
                + block(other.caCert().getEncoded());
        assertThrows(IllegalArgumentException.class, () -> CertificateFiles.parse(
                List.of(Map.of("name", "registry-ca", "pem", pem)), Instant.now()),
                "non-certificate content between the blocks is accepted");
    }

    /**
     * FINDING (low): a certificate that is not yet valid (notBefore in a year) is accepted; only notAfter is checked
     * (CertificateFiles.problem). K3s / the registry client refuses such a CA until then: the template's files are
     * "proven" by K3s's readiness, which does not exercise the registry CA, so the site is done and broken.
     */
    @Test
    void aNotYetValidCertificateIsRefused() throws Exception {
        String future = block(cert(Instant.now().plus(Duration.ofDays(365)), Instant.now().plus(Duration.ofDays(730)))
                .getEncoded());
        assertThrows(IllegalArgumentException.class, () -> CertificateFiles.parse(
                List.of(Map.of("name", "registry-ca", "pem", future)), Instant.now()),
                "a certificate valid only from next year is accepted");
    }

    /**
     * FINDING (medium): files of an interrupted install stay in place under a newer generation. The standby wrote
     * generation 7's files and restarted K3s; the power goes while it verifies (record: verifying, certificates =
     * what was there before: none). Meanwhile the rollout is aborted: generation 8 (the previous revision, no files).
     * UpgradePlan only resumes/rolls back the record's own generation; for 8 the coordinator compares 8's files with
     * the record's ("none" = "none"), sees no change and settles 8 {@code done} — with generation 7's
     * registry-ca.pem still in certificates.dir, never to be removed (the record now says none are in place).
     * The same holds for PostgreSQL settings applied by the interrupted install (record.settings is the old map).
     */
    @Test
    void anAbortedGenerationsFilesDoNotOutliveAnInterruptedInstall() throws Exception {
        String ca = block(pki.caCert().getEncoded());
        new CertificateFolder(dir.resolve("certs")).apply(Map.of("registry-ca", ca));
        Files.createDirectories(dir.resolve("state"));
        new UpgradeRecord(7, "verifying", K3S, K3S, null, 6).withCertificates(Map.of())
                .save(dir.resolve("state/upgrade.json"));
        UpgradeCoordinator c = coordinator(desired(8, Map.of()));
        c.tick(); // (lead's note) the interrupted generation 7 is ended first: undone, failed
        assertEquals("failed", UpgradeRecord.load(dir.resolve("state/upgrade.json")).orElseThrow().step());
        c.tick(); // then generation 8 is taken
        UpgradeRecord r = UpgradeRecord.load(dir.resolve("state/upgrade.json")).orElseThrow();
        assertEquals(8, r.generation());
        if ("done".equals(r.step())) {
            assertFalse(Files.exists(dir.resolve("certs/registry-ca.pem")), "generation 8 names no file, is done, and"
                    + " generation 7's registry-ca.pem is still in certificates.dir");
        }
    }

    private UpgradeCoordinator coordinator(UpgradeCoordinator.Desired d) throws Exception {
        return new UpgradeCoordinator(dir.resolve("state"), () -> d, new UpgradeCoordinator.Drivers(new K3s(), null,
                null, new CertificateFolder(dir.resolve("certs"))), pair,
                new ArtifactStore(dir.resolve("state/artifacts"), KeyPairGenerator.getInstance("Ed25519")
                        .generateKeyPair().getPublic(), Duration.ofSeconds(5)),
                () -> true, (type, severity, message, attrs) -> { }, Duration.ofMillis(600));
    }

    private static UpgradeCoordinator.Desired desired(long generation, Map<String, String> files) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode spec = json.createObjectNode();
        spec.putObject("versions").put("k3s", K3S);
        ArrayNode list = spec.putObject("certificates").put("agentLifetimeDays", 90).put("renewBeforeDays", 30)
                .putArray("files");
        files.forEach((name, pem) -> list.addObject().put("name", name).put("pem", pem));
        return new UpgradeCoordinator.Desired(generation, spec);
    }

    static String block(byte[] der) {
        return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END CERTIFICATE-----\n";
    }

    static X509Certificate cert(Instant notBefore, Instant notAfter) throws Exception {
        KeyPair k = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                new X500Name("CN=registry CA"), BigInteger.TWO, Date.from(notBefore), Date.from(notAfter),
                new X500Name("CN=registry CA"), k.getPublic())
                .build(new JcaContentSignerBuilder("Ed25519").build(k.getPrivate())));
    }

    private final class K3s implements K3sVersions {
        public String running() {
            return K3S;
        }

        public boolean ready() {
            return true;
        }

        public void restart() {
            restarts.add("restart");
        }

        public void install(Path artifact, String version) {
            throw new AssertionError("K3s is not to be installed");
        }

        public void rollback() {
        }

        public boolean needsArtifact() {
            return false;
        }
    }
}
