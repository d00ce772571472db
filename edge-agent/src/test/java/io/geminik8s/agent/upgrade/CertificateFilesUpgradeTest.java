package io.geminik8s.agent.upgrade;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.geminik8s.agent.TestPki;
import io.geminik8s.agent.artifact.ArtifactStore;
import io.geminik8s.protocol.CertificateFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A template's certificate files as an upgrade: checked before anything is written (public certificates only, none
 * expired, names that are no paths), written on the standby first with K3s restarted and proven ready, the primary
 * after its switchover; a K3s that does not come back gets the previous files back; a later revision without a file
 * removes it; a crash in the middle resumes.
 */
class CertificateFilesUpgradeTest {

    static final String K3S = "v1.31.4+k3s1";

    @TempDir
    Path dir;
    private final TestPki pki = new TestPki();
    private final TestPki other = new TestPki();
    private final List<String> restarts = new CopyOnWriteArrayList<>();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final UpgradeCoordinatorTest.FakePair pair = new UpgradeCoordinatorTest.FakePair();
    private volatile boolean k3sReady = true;

    CertificateFilesUpgradeTest() throws Exception {
    }

    @Test
    void theStandbyWritesTheFilesRestartsK3sAndProvesItReady() throws Exception {
        UpgradeCoordinator c = coordinator(desired(7, Map.of("registry-ca", pem(pki.caCert()))));
        c.tick();
        assertEquals("done", record().step());
        assertEquals(7, c.settled());
        Path f = dir.resolve("certs/registry-ca.pem");
        assertEquals(pem(pki.caCert()), Files.readString(f));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), "public: K3s reads it");
        assertEquals(List.of("restart"), restarts);
        c.tick();
        assertEquals(1, restarts.size(), "done once");

        // the next revision replaces one file and drops none; the one after removes it
        UpgradeCoordinator next = coordinator(desired(8, Map.of("registry-ca", pem(other.caCert()))));
        next.tick();
        assertEquals(pem(other.caCert()), Files.readString(f));
        coordinator(desired(9, Map.of())).tick();
        assertFalse(Files.exists(f), "a file the template no longer names is removed");
        assertEquals(3, restarts.size());
        assertEquals(9, record().settled());
    }

    @Test
    void thePrimaryWaitsForItsStandbyThenHandsOver() throws Exception {
        pair.role = PairView.Role.PRIMARY;
        UpgradeCoordinator.Desired d = desired(7, Map.of("registry-ca", pem(pki.caCert())));
        coordinator(d).tick();
        assertEquals("waiting-for-standby", record().step());
        assertFalse(Files.exists(dir.resolve("certs/registry-ca.pem")), "K3s on the primary is never restarted");
        pair.peer = "7:done:h";
        coordinator(d).tick();
        assertEquals(1, pair.handOvers);
        assertTrue(restarts.isEmpty());
    }

    @Test
    void aK3sThatDoesNotComeBackGetsThePreviousFilesBack() throws Exception {
        coordinator(desired(7, Map.of("registry-ca", pem(pki.caCert())))).tick();
        k3sReady = false;
        restarts.clear();
        coordinator(desired(8, Map.of("registry-ca", pem(other.caCert()), "extra-ca", pem(other.caCert())))).tick();
        UpgradeRecord r = record();
        assertEquals("failed", r.step());
        assertTrue(r.error().contains("not ready"), r.error());
        assertEquals(pem(pki.caCert()), Files.readString(dir.resolve("certs/registry-ca.pem")), "the previous file back");
        assertFalse(Files.exists(dir.resolve("certs/extra-ca.pem")), "the new one removed");
        assertEquals(2, restarts.size(), "K3s restarted with the new files, then with the old ones");
        assertEquals(7, r.settled());
    }

    @Test
    void refusedFilesFailTheGenerationWithNothingWritten() throws Exception {
        Path key = dir.resolve("key.pem");
        TestPki.keyPem(key, pki.issue("CN=x", null).keys().getPrivate());
        String withKey = pem(pki.caCert()) + Files.readString(key);
        coordinator(desired(7, Map.of("registry-ca", withKey))).tick();
        UpgradeRecord r = record();
        assertEquals("failed", r.step());
        assertTrue(r.error().contains("certificate files refused, nothing installed")
                && r.error().contains("private key"), r.error());
        assertFalse(Files.exists(dir.resolve("certs")));
        assertTrue(restarts.isEmpty());
    }

    @Test
    void theValidatorNamesEveryProblem() throws Exception {
        String ok = pem(pki.caCert());
        Instant now = Instant.now();
        List<Object> files = new ArrayList<>();
        files.add(Map.of("name", "../etc/passwd", "pem", ok));
        files.add(Map.of("name", "a", "pem", ok));
        files.add(Map.of("name", "a", "pem", ok));
        files.add(Map.of("name", "b", "pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"));
        files.add(Map.of("name", "c", "pem", ok + "\u0000"));
        files.add(Map.of("name", "d", "pem", ok, "mode", "0777"));
        files.add(Map.of("name", "e"));
        files.add("registry-ca");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CertificateFiles.parse(files, now));
        String m = e.getMessage();
        for (String want : List.of("files[0].name: lowercase", "files[2].name: 'a' is named twice",
                "files[3].pem: not a readable X.509", "files[4].pem: PEM is ASCII text", "files[5].mode: unknown field",
                "files[6].pem: required", "files[7]: must be a map")) {
            assertTrue(m.contains("certificates." + want), want + " in " + m);
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CertificateFiles.parse(
                List.of(Map.of("name", "a", "pem", ok)), now.plus(Duration.ofDays(31)))).getMessage().contains("expired"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CertificateFiles.parse("x", now)).getMessage()
                .contains("must be a list"));
        assertEquals(Map.of("a", ok), CertificateFiles.parse(List.of(Map.of("name", "a", "pem", ok.replace("\n",
                "\r\n"))), now), "CRLF read as LF");
        assertTrue(CertificateFiles.parse(null, now).isEmpty());
        String big = Base64.getEncoder().encodeToString(new byte[CertificateFiles.MAX_PEM_CHARS]);
        List<Object> oversized = List.of(Map.of("name", "a", "pem", big));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CertificateFiles.parse(oversized, now))
                .getMessage().contains("at most"));
    }

    @Test
    void aCrashAfterTheFilesWereWrittenResumes() throws Exception {
        UpgradeCoordinator.Desired d = desired(7, Map.of("registry-ca", pem(pki.caCert())));
        new CertificateFolder(dir.resolve("certs")).apply(Map.of("registry-ca", pem(pki.caCert())));
        new UpgradeRecord(7, "installing", K3S, K3S, null, 0).save(Files.createDirectories(dir.resolve("state"))
                .resolve("upgrade.json"));
        coordinator(d).tick();
        assertEquals("done", record().step());
        assertEquals(List.of("restart"), restarts, "restarted: the crash may have come before the restart");
    }

    private UpgradeCoordinator coordinator(UpgradeCoordinator.Desired d) throws Exception {
        Files.createDirectories(dir.resolve("state"));
        return new UpgradeCoordinator(dir.resolve("state"), () -> d, new UpgradeCoordinator.Drivers(new K3s(), null,
                null, new CertificateFolder(dir.resolve("certs"))), pair,
                new ArtifactStore(dir.resolve("state/artifacts"), KeyPairGenerator.getInstance("Ed25519")
                        .generateKeyPair().getPublic(), Duration.ofSeconds(5)),
                () -> true, (type, severity, message, attrs) -> events.add(type), Duration.ofMillis(600));
    }

    private UpgradeRecord record() {
        return UpgradeRecord.load(dir.resolve("state/upgrade.json")).orElseThrow();
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

    static String pem(X509Certificate c) throws Exception {
        return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(c.getEncoded())
                + "\n-----END CERTIFICATE-----\n";
    }

    /** K3s on the spec's version; ready as the test says; its restarts recorded. */
    private final class K3s implements K3sVersions {
        public String running() {
            return K3S;
        }

        public boolean ready() {
            return k3sReady || restarts.size() % 2 == 0; // not ready after the first restart, ready after the next
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
