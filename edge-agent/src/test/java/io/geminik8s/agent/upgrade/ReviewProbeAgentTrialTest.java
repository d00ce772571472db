package io.geminik8s.agent.upgrade;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.geminik8s.agent.artifact.ArtifactStore;
import io.geminik8s.protocol.Artifact;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review probes (attacker review of the agent's own update, 78d1970..ac95a6b): crash, overtaking and role-change
 * points in the trial protocol. Each test FAILS on the code as reviewed; what it shows is in its javadoc. Same
 * harness as AgentSelfUpdateTest: a coordinator per "process" over one state folder, the package's real launcher.
 */
class ReviewProbeAgentTrialTest {

    static final Path LAUNCHER = Path.of("src/deb/gk8s-agent").toAbsolutePath();
    static final String K3S = "v1.31.4+k3s1";

    @TempDir
    Path dir;
    private ServedFiles server;
    private final Map<String, byte[]> served = new ConcurrentHashMap<>();
    private final Map<String, byte[]> bundles = new ConcurrentHashMap<>();
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

    /**
     * FINDING (high): a newer generation that arrives while the standby's agent restarts into its trial (e.g. the
     * rollout is aborted, or any re-publish of the desired state) makes UpgradePlan skip RESUME_AGENT (it only
     * resumes "restarting-agent" for the record's own generation). The trial process, still unconfirmed, settles the
     * new generation {@code done} and reports it; {@code trial} + {@code trial.started} stay on disk, so at the next
     * restart of the agent the launcher silently goes back to the old version — which then finds the generation done
     * and does nothing. The node ends on agent 1.0.0 with generation 8 (naming 2.0.0) reported applied.
     */
    @Test
    void aNewerGenerationDuringTheTrialLeavesTheTrialUnconfirmedButTheGenerationDone() throws Exception {
        UpgradeCoordinator.Desired d7 = desired(7, "2.0.0");
        process("1.0.0", d7).tick();
        assertEquals("restarting-agent", record().step());
        assertEquals("2.0.0", launch(), "the launcher starts the trial");
        UpgradeCoordinator.Desired d8 = desired(8, "2.0.0"); // published while the agent restarted
        process("2.0.0", d8).tick();
        UpgradeRecord r = record();
        if ("done".equals(r.step()) && r.generation() == 8) {
            // the generation is reported applied: then the version running must be the one the launcher keeps
            assertEquals("2.0.0", launch(), "generation 8 reported done on agent 2.0.0, yet the next start of the"
                    + " agent goes back to the old version: the trial was never confirmed");
        }
        process("1.0.0", d8).tick();
        assertEquals("2.0.0", launch(), "the node must not end on 1.0.0 with generation 8 (agent 2.0.0) settled");
    }

    /**
     * FINDING (high): the primary restarts its own agent. The standby's agent restarts into the trial; meanwhile the
     * primary fails and the (new) agent's HA is promoted by the witness: the node is now the PRIMARY. The trial's
     * proof waits for "a streaming standby again", fails after verify-timeout, rolls the generation back and calls
     * {@code agent.restart()} — System.exit on the only primary, whose agent's exit stops PostgreSQL (HaNode.close):
     * the site loses its writer. UpgradeCoordinator.resumeAgent (lines ~343-356) never looks at the role before
     * {@code agent.restart()}.
     */
    @Test
    void aTrialWhoseNodeBecamePrimaryDoesNotRestartTheAgent() throws Exception {
        UpgradeCoordinator.Desired d = desired(7, "2.0.0");
        process("1.0.0", d).tick();
        assertEquals("2.0.0", launch());
        pair.role = PairView.Role.PRIMARY; // the peer died during the restart: this node was promoted
        process("2.0.0", d).tick();
        assertEquals(List.of("1.0.0"), restarts, "the trial process, now the site's primary, ended itself: "
                + restarts + " (record: " + record().step() + ", " + record().error() + ")");
    }

    /**
     * FINDING (low): a stale {@code trial.failed} from an earlier generation makes a crash-resumed trial fail
     * spuriously. Generation 7's trial of 2.0.0 crashed (the launcher wrote trial.failed = 2.0.0); generation 8
     * names 2.0.0 again; the agent records "restarting-agent" and loses power before startTrial (which is what
     * clears trial.failed). At the next start resumeAgent finds trial.failed = 2.0.0 and fails generation 8 with
     * "did not confirm … (it crashed …)" although 2.0.0 was never started for it. AgentSelfUpdateTest's
     * aCrashBeforeTheTrialWasBegunResumesIt passes only because no trial.failed is around.
     */
    @Test
    void aCrashBeforeTheTrialIsNotMistakenForAnEarlierGenerationsFailedTrial() throws Exception {
        UpgradeCoordinator.Desired d7 = desired(7, "2.0.0");
        process("1.0.0", d7).tick();
        assertEquals("2.0.0", launch());
        assertEquals("packaged", launch(), "generation 7's trial crashed");
        process("1.0.0", d7).tick();
        assertEquals("failed", record().step());

        UpgradeCoordinator.Desired d8 = desired(8, "2.0.0");
        process("1.0.0", d8).tick();
        assertEquals("restarting-agent", record().step());
        // emulate the power loss between save("restarting-agent") and startTrial: trial.failed of gen 7, no trial
        Path rel = dir.resolve("state/agent");
        Files.delete(rel.resolve("trial"));
        Files.writeString(rel.resolve("trial.failed"), "2.0.0\n");
        int before = restarts.size();
        process("1.0.0", d8).tick();
        assertNotEquals("failed", record().step(), "generation 8 failed for a trial it never started: "
                + record().error());
        assertEquals(before + 1, restarts.size(), "the trial begun again");
    }

    /**
     * FINDING (low): the launcher starts the package's jar, not {@code current}, when {@code trial} names a version
     * it cannot start (not staged, or not a version name). docs/upgrades.md: "gives the trial up and starts the
     * previous version — current (the version confirmed last) or the package's jar". gk8s-agent lines 33-39: the
     * loop stops at the first file found (trial), and a rejected trial version resets version= to the package.
     */
    @Test
    void theLauncherFallsBackToCurrentNotThePackageWhenTheTrialCannotStart() throws Exception {
        Path rel = Files.createDirectories(dir.resolve("state/agent"));
        Files.createDirectories(rel.resolve("2.0.0"));
        Files.writeString(rel.resolve("2.0.0/edge-agent.jar"), "x");
        Files.writeString(rel.resolve("current"), "2.0.0\n");
        Files.writeString(rel.resolve("trial"), "3.0.0\n"); // not there
        assertEquals("2.0.0", launch(), "current is the confirmed version");
    }

    /**
     * FINDING (low): a refused bundle leaves its partly unpacked files behind in {@code <version>.partial} (up to
     * 256 MB: the unpack cap), although docs/upgrades.md says refused "before anything else is done" and
     * AgentSelfUpdateTest "with nothing staged" (it only checks {@code agent/2.0.0}). AgentReleases.stage deletes the
     * partial folder only on a version mismatch, not when unpack() throws (line 63).
     */
    @Test
    void aRefusedBundleLeavesNothingOnDisk() throws Exception {
        byte[] big = new byte[4 << 20]; // compresses to a few KB: what a hostile bundle may make up to 256 MB
        Path bundle = dir.resolve("bundle.zip");
        Files.write(bundle, AgentSelfUpdateTest.zip(Map.of("edge-agent.jar", AgentSelfUpdateTest.jar("2.0.0"),
                "lib/big.jar", big, "zz-not-allowed", new byte[1])));
        AgentReleases a = new AgentReleases(dir.resolve("state"), "1.0.0", () -> { });
        try {
            a.stage(bundle, "2.0.0");
        } catch (IllegalStateException expected) {
            // refused, as it should be
        }
        assertFalse(Files.exists(dir.resolve("state/agent/2.0.0.partial/lib/big.jar")),
                "the refused bundle's unpacked 4 MB stay on disk");
    }

    /**
     * FINDING (low): the staging folder of version V is {@code V.partial}, itself a valid version name (and valid
     * semver for the hub's template rules: 2.0.0-rc.partial). Staging 2.0.0-rc deletes the release folder of the
     * confirmed version 2.0.0-rc.partial; the launcher then falls back to the package's jar.
     */
    @Test
    void stagingOneVersionNeverDeletesAnotherVersionsRelease() throws Exception {
        AgentReleases a = new AgentReleases(dir.resolve("state"), "1.0.0", () -> { });
        Path b1 = dir.resolve("b1.zip");
        Files.write(b1, AgentSelfUpdateTest.bundle("2.0.0-rc.partial"));
        a.stage(b1, "2.0.0-rc.partial");
        a.startTrial("2.0.0-rc.partial", 7);
        new AgentReleases(dir.resolve("state"), "2.0.0-rc.partial", () -> { }).confirm("2.0.0-rc.partial");
        assertEquals("2.0.0-rc.partial", launch());
        Path b2 = dir.resolve("b2.zip");
        Files.write(b2, AgentSelfUpdateTest.bundle("2.0.0-rc"));
        a.stage(b2, "2.0.0-rc"); // e.g. staged ahead for a later generation
        assertTrue(Files.exists(dir.resolve("state/agent/2.0.0-rc.partial/edge-agent.jar")),
                "the confirmed release's folder was deleted by staging another version");
        assertEquals("2.0.0-rc.partial", launch());
    }

    /**
     * FINDING (high): the primary restarts its own agent without any trial. UpgradePlan.decide returns INSTALL for
     * a record "installing"/"verifying" of the current generation before it looks at the role (lines 74-76). A
     * standby whose agent restarted (crash, OOM kill, reboot) while verifying, and which the witness promoted
     * meanwhile (its primary died), resumes the install as the PRIMARY: installSettings re-applies the files / settings
     * (k3s.restart(), settings.restart() on the primary), the proof passes (no streaming is asked of a primary), and
     * it records restarting-agent and calls agent.restart(): System.exit on the site's only writer. The same happens
     * without any crash when the role flips during proveWithin's up-to-300 s wait.
     */
    @Test
    void aResumedInstallOnANodeThatIsNowPrimaryNeverRestartsTheAgent() throws Exception {
        UpgradeCoordinator.Desired d = desired(7, "2.0.0");
        Files.createDirectories(dir.resolve("state"));
        new UpgradeRecord(7, "verifying", K3S, K3S, null, 6).save(dir.resolve("state/upgrade.json"));
        pair.role = PairView.Role.PRIMARY; // promoted while the agent was away
        process("1.0.0", d).tick();
        assertEquals(List.of(), restarts, "the primary's agent ended itself (record: " + record().step() + ")");
    }

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

    private UpgradeCoordinator process(String version, UpgradeCoordinator.Desired d) {
        AgentReleases releases = new AgentReleases(dir.resolve("state"), version, () -> restarts.add(version));
        return new UpgradeCoordinator(dir.resolve("state"), () -> d, new UpgradeCoordinator.Drivers(new FixedK3s(),
                null, releases, null), pair,
                new ArtifactStore(dir.resolve("state/artifacts"), fleet.getPublic(), Duration.ofSeconds(10)),
                () -> true, (type, severity, message, attrs) -> events.add(type), Duration.ofSeconds(1));
    }

    private UpgradeRecord record() {
        return UpgradeRecord.load(dir.resolve("state/upgrade.json")).orElseThrow();
    }

    private UpgradeCoordinator.Desired desired(long generation, String version) throws Exception {
        byte[] bundle = bundles.computeIfAbsent(version, v -> {
            try {
                return AgentSelfUpdateTest.bundle(v);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        served.put("/agent-" + version, bundle);
        Artifact a = new Artifact("agent", version, "http://127.0.0.1:" + server.port() + "/agent-"
                + version, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bundle)),
                (long) bundle.length, null).signedWith(fleet.getPrivate());
        ObjectMapper json = new ObjectMapper();
        ObjectNode spec = json.createObjectNode();
        spec.putObject("versions").put("k3s", K3S).put("agent", version);
        spec.putArray("artifacts").add(json.valueToTree(a));
        spec.putObject("labels").put("generation", Long.toString(generation));
        return new UpgradeCoordinator.Desired(generation, spec);
    }

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
