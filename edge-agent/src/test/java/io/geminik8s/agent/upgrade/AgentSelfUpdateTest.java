package io.geminik8s.agent.upgrade;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.geminik8s.agent.artifact.ArtifactStore;
import io.geminik8s.protocol.Artifact;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's own update across its restarts: every "process" is a coordinator of its own over the same state
 * folder, and which version each start runs is decided by the package's real launcher (src/deb/gk8s-agent, run with
 * a stand-in {@code java} that prints the jar it was given). The new version proves it reaches the hub and is kept;
 * one that crashes, cannot reach the hub, or is never started by the launcher gives the old version back and the
 * generation is reported failed; a crash between the steps resumes; a signed bundle that is no agent release, or
 * one that would write outside its folder, is refused with nothing installed.
 */
class AgentSelfUpdateTest {

    static final Path LAUNCHER = Path.of("src/deb/gk8s-agent").toAbsolutePath();
    static final String K3S = "v1.31.4+k3s1";

    @TempDir
    Path dir;
    private ServedFiles server;
    private final Map<String, byte[]> served = new ConcurrentHashMap<>();
    private KeyPair fleet;
    private Path home;
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final List<String> restarts = new CopyOnWriteArrayList<>();
    private final UpgradeCoordinatorTest.FakePair pair = new UpgradeCoordinatorTest.FakePair();

    @BeforeEach
    void setUp() throws Exception {
        fleet = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        server = new ServedFiles(served);
        home = Files.createDirectories(dir.resolve("home/runtime/bin")).getParent().getParent();
        Path java = home.resolve("runtime/bin/java");
        Files.writeString(java, "#!/bin/sh\necho \"$@\"\n");
        java.toFile().setExecutable(true);
        Files.writeString(home.resolve("edge-agent.jar"), "the packaged agent");
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    @Test
    void theNewVersionStartsOnTrialProvesItReachesTheHubAndIsKept() throws Exception {
        UpgradeCoordinator.Desired d = desired("2.0.0", bundle("2.0.0"));
        process("1.0.0", d, true).tick();
        assertEquals(List.of("1.0.0"), restarts, "the old process ends to be started again");
        assertEquals("restarting-agent", record().step());
        assertEquals("2.0.0", record().agentTo());
        assertEquals(0, process("1.0.0", d, true).settled(), "not settled before the new version proved itself");

        assertEquals("2.0.0", launch(), "the launcher starts the version on trial");
        UpgradeCoordinator second = process("2.0.0", d, true);
        second.tick();
        assertEquals("done", record().step());
        assertEquals(7, second.settled());
        assertEquals("7:done:h", pair.announced, "the peer hears it: the primary may go next");
        assertEquals("2.0.0", launch(), "confirmed: started again after any later restart");
        assertEquals("2.0.0", launch());
        assertTrue(events.containsAll(List.of("upgrade.installing", "upgrade.verifying", "upgrade.restarting-agent",
                "upgrade.done")), events.toString());
    }

    @Test
    void aNewVersionThatCrashesAtStartGivesTheOldOneBackAndTheGenerationFails() throws Exception {
        UpgradeCoordinator.Desired d = desired("2.0.0", bundle("2.0.0"));
        process("1.0.0", d, true).tick();
        assertEquals("2.0.0", launch());
        // 2.0.0 dies before its upgrade thread runs (a broken build, a power loss): the service manager starts again
        assertEquals("packaged", launch(), "a trial is started once");
        UpgradeCoordinator old = process("1.0.0", d, true);
        old.tick();
        UpgradeRecord r = record();
        assertEquals("failed", r.step());
        assertTrue(r.error().contains("did not confirm that it reaches the hub"), r.error());
        assertEquals(0, old.settled());
        assertEquals("packaged", launch(), "the failed version is not tried again");
        old.tick();
        assertEquals(List.of("1.0.0"), restarts, "nothing retried");
    }

    @Test
    void aNewVersionThatCannotReachTheHubGoesBackByItself() throws Exception {
        UpgradeCoordinator.Desired d = desired("2.0.0", bundle("2.0.0"));
        process("1.0.0", d, true).tick();
        assertEquals("2.0.0", launch());
        process("2.0.0", d, false).tick();
        assertEquals("failed", record().step());
        assertTrue(record().error().contains("the hub not reached within 1 s"), record().error());
        assertEquals(List.of("1.0.0", "2.0.0"), restarts, "the new version ends itself");
        assertEquals("packaged", launch());
        process("1.0.0", d, true).tick();
        assertEquals("failed", record().step(), "the old one finds the generation failed and leaves it");
        assertEquals(2, restarts.size());
    }

    @Test
    void aNewVersionWhoseHaDoesNotComeBackAsAStreamingStandbyGoesBack() throws Exception {
        UpgradeCoordinator.Desired d = desired("2.0.0", bundle("2.0.0"));
        process("1.0.0", d, true).tick();
        assertEquals("2.0.0", launch());
        pair.role = PairView.Role.OTHER; // e.g. its HA cannot bootstrap: the primary must not hand over to it
        process("2.0.0", d, true).tick();
        assertEquals("failed", record().step());
        assertTrue(record().error().contains("not a streaming standby again"), record().error());
        assertEquals("packaged", launch());
    }

    @Test
    void anAgentStartedWithoutItsLauncherReportsWhyInsteadOfRestartingForever() throws Exception {
        UpgradeCoordinator.Desired d = desired("2.0.0", bundle("2.0.0"));
        process("1.0.0", d, true).tick();
        process("1.0.0", d, true).tick(); // started again as 1.0.0 by something that is not the launcher
        assertEquals("failed", record().step());
        assertTrue(record().error().contains("without its launcher"), record().error());
        assertEquals(1, restarts.size());
        assertEquals("packaged", launch(), "the trial was given up");
    }

    @Test
    void aCrashBeforeTheTrialWasBegunResumesIt() throws Exception {
        UpgradeCoordinator.Desired d = desired("2.0.0", bundle("2.0.0"));
        process("1.0.0", d, true).tick();
        Files.delete(dir.resolve("state/agent/trial")); // the record was written, the crash came before the trial
        process("1.0.0", d, true).tick();
        assertEquals(2, restarts.size(), "the trial begun again");
        assertEquals("2.0.0", launch());
        process("2.0.0", d, true).tick();
        assertEquals("done", record().step());
        // and a crash between confirming and recording "done": the next start proves and records it again
        Files.writeString(dir.resolve("state/upgrade.json"), Files.readString(dir.resolve("state/upgrade.json"))
                .replace("\"done\"", "\"restarting-agent\""));
        assertEquals("2.0.0", launch());
        process("2.0.0", d, true).tick();
        assertEquals("done", record().step());
    }

    @Test
    void aSignedBundleThatIsNoAgentReleaseIsRefusedWithNothingInstalled() throws Exception {
        Map<String, byte[]> hostile = new java.util.LinkedHashMap<>();
        hostile.put("../escaped.jar", jar("2.0.0"));
        hostile.put("/etc/cron.d/x", "* * * * * root id".getBytes());
        hostile.put("lib/notes.txt", "x".getBytes());
        hostile.put("lib/sub/a.jar", jar("2.0.0"));
        for (var e : hostile.entrySet()) {
            assertRefused(zip(Map.of("edge-agent.jar", jar("2.0.0"), e.getKey(), e.getValue())), e.getKey());
        }
        assertRefused(zip(Map.of("lib/a.jar", jar("2.0.0"))), "no edge-agent.jar");
        assertRefused(zip(Map.of("edge-agent.jar", jar("1.9.9"))), "version 1.9.9, not 2.0.0");
        assertRefused("not a zip at all".getBytes(), "no edge-agent.jar");
        assertFalse(Files.exists(dir.resolve("state/escaped.jar")));
        assertFalse(Files.exists(dir.resolve("state/agent/2.0.0")), "nothing staged");
        assertTrue(restarts.isEmpty());
        assertEquals("packaged", launch());
    }

    @Test
    void theLauncherStartsNoVersionWhoseNameIsAPath() throws Exception {
        Path rel = Files.createDirectories(dir.resolve("state/agent"));
        Files.createDirectories(dir.resolve("state/evil"));
        Files.writeString(dir.resolve("state/evil/edge-agent.jar"), "x");
        for (String name : List.of("../evil", "a/../../evil", "-jar", ".hidden", "2.0.0 ../evil")) {
            Files.writeString(rel.resolve("current"), name + "\n");
            assertEquals("packaged", launch(), name);
        }
        Files.writeString(rel.resolve("current"), "3.0.0\n");
        assertEquals("packaged", launch(), "a version that is not there");
    }

    @Test
    void aVersionNamedWithoutItsReleaseLeavesTheAgentToItsPackage() throws Exception {
        ObjectNode spec = new ObjectMapper().createObjectNode();
        spec.putObject("versions").put("k3s", K3S).put("agent", "2.0.0"); // every template names one; no artifact
        UpgradeCoordinator c = process("1.0.0", new UpgradeCoordinator.Desired(7, spec), true);
        c.tick();
        assertEquals("done", record().step());
        assertEquals(7, c.settled());
        assertTrue(restarts.isEmpty());
        assertFalse(Files.exists(dir.resolve("state/agent")));
    }

    @Test
    void aRecordWrittenByANewerAgentIsReadByTheOlderOne() throws Exception {
        Path f = Files.createDirectories(dir.resolve("state")).resolve("upgrade.json");
        Files.writeString(f, "{\"generation\":7,\"step\":\"failed\",\"settled\":3,\"somethingNew\":{\"x\":1}}");
        UpgradeRecord r = UpgradeRecord.load(f).orElseThrow();
        assertEquals("failed", r.step());
        assertNull(r.agentTo());
    }

    private void assertRefused(byte[] bundle, String why) throws Exception {
        events.clear();
        Files.deleteIfExists(dir.resolve("state/upgrade.json"));
        served.clear();
        process("1.0.0", desired("2.0.0", bundle), true).tick();
        UpgradeRecord r = record();
        assertEquals("failed", r.step(), why);
        assertTrue(r.error().contains("refused, nothing installed") && r.error().contains(
                why.startsWith("no ") || why.startsWith("version") ? why : "entry"), why + ": " + r.error());
        assertFalse(Files.exists(dir.resolve("state/agent/trial")));
    }

    /** Which version the launcher starts now ("packaged": the package's jar). */
    private String launch() throws Exception {
        ProcessBuilder pb = new ProcessBuilder("sh", LAUNCHER.toString(), "--config", "x").redirectErrorStream(false);
        pb.environment().put("GK8S_AGENT_HOME", home.toString());
        pb.environment().put("GK8S_AGENT_STATE_DIR", dir.resolve("state").toString());
        pb.environment().put("GK8S_AGENT_CDS", "none");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertEquals(0, p.waitFor());
        String jar = out.substring(out.indexOf("-jar ") + 5, out.indexOf(" --config"));
        return jar.equals(home.resolve("edge-agent.jar").toString()) ? "packaged"
                : Path.of(jar).getParent().getFileName().toString();
    }

    /** One agent process of version {@code version}: its restart is recorded, not carried out. */
    private UpgradeCoordinator process(String version, UpgradeCoordinator.Desired d, boolean hub) {
        AgentReleases releases = new AgentReleases(dir.resolve("state"), version, () -> restarts.add(version));
        AtomicBoolean reach = new AtomicBoolean(hub);
        return new UpgradeCoordinator(dir.resolve("state"), () -> d, new UpgradeCoordinator.Drivers(new FixedK3s(),
                null, releases, null), pair,
                new ArtifactStore(dir.resolve("state/artifacts"), fleet.getPublic(), Duration.ofSeconds(10)),
                reach::get, (type, severity, message, attrs) -> events.add(type), Duration.ofSeconds(1));
    }

    private UpgradeRecord record() {
        return UpgradeRecord.load(dir.resolve("state/upgrade.json")).orElseThrow();
    }

    private UpgradeCoordinator.Desired desired(String version, byte[] bundle) throws Exception {
        served.put("/agent-" + version, bundle);
        Artifact a = new Artifact("agent", version, "http://127.0.0.1:" + server.port() + "/agent-"
                + version, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bundle)),
                (long) bundle.length, null).signedWith(fleet.getPrivate());
        ObjectMapper json = new ObjectMapper();
        ObjectNode spec = json.createObjectNode();
        spec.putObject("versions").put("k3s", K3S).put("agent", version);
        spec.putArray("artifacts").add(json.valueToTree(a));
        return new UpgradeCoordinator.Desired(7, spec);
    }

    static byte[] bundle(String version) throws Exception {
        return zip(Map.of("edge-agent.jar", jar(version), "lib/jackson-core-2.17.2.jar", jar("lib")));
    }

    static byte[] jar(String version) throws Exception {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "io.geminik8s.agent.Main");
        m.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_VERSION, version);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (JarOutputStream j = new JarOutputStream(b, m)) {
            j.putNextEntry(new ZipEntry("io/geminik8s/agent/README"));
            j.write(version.getBytes());
        }
        return b.toByteArray();
    }

    static byte[] zip(Map<String, byte[]> entries) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(b)) {
            for (var e : new java.util.TreeMap<>(entries).entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue());
            }
        }
        return b.toByteArray();
    }

    /** K3s already on the spec's version and ready: only the agent changes. */
    private static final class FixedK3s implements K3sVersions {
        public String running() {
            return K3S;
        }

        public boolean ready() {
            return true;
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
