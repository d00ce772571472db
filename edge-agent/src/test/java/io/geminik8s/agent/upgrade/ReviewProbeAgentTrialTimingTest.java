package io.geminik8s.agent.upgrade;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.artifact.ArtifactStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review probes (attacker review of the agent's own update): the trial's time limit and the launcher's durability.
 * Each test FAILS on the code as reviewed; what it shows is in its javadoc.
 */
class ReviewProbeAgentTrialTimingTest {

    static final String K3S = "v1.31.4+k3s1";

    @TempDir
    Path dir;

    /**
     * FINDING (low, docs vs code): docs/upgrades.md says the new version proves itself "within
     * upgrade.verify-timeout-s" and must "reach the hub within" it (the restarting-agent event says so too), but
     * resumeAgent chains three waits of a full verify timeout each (K3s proof, hub, streaming standby): a trial may
     * take 3 × 300 s = 15 min before it is given up, while its primary waits with a degraded pair. Here with a 1 s
     * timeout a trial whose K3s is ready after 0.8 s, whose hub link comes up after 1.6 s and which streams after
     * 2.4 s is kept.
     */
    @Test
    void theTrialIsGivenUpWithinOneVerifyTimeout() throws Exception {
        Path state = Files.createDirectories(dir.resolve("state"));
        new UpgradeRecord(7, "restarting-agent", K3S, K3S, null, 6).withAgent("1.0.0", "2.0.0")
                .save(state.resolve("upgrade.json"));
        long t0 = System.nanoTime();
        java.util.function.LongSupplier ms = () -> (System.nanoTime() - t0) / 1_000_000;
        List<String> restarts = new ArrayList<>();
        AgentUpdate agent = new AgentUpdate() {
            public String running() {
                return "2.0.0";
            }

            public void stage(Path bundle, String version) {
            }

            public void startTrial(String version, long generation) {
            }

            public String pendingTrial() {
                return null;
            }

            public boolean trialFailed(String version, long generation) {
                return false;
            }

            public void confirm(String version) {
            }

            public void abandon(String version, long generation) {
            }

            public void restart() {
                restarts.add("restart");
            }
        };
        K3sVersions k3s = new K3sVersions() {
            public String running() {
                return K3S;
            }

            public boolean ready() {
                return ms.getAsLong() > 800;
            }

            public void install(Path artifact, String version) {
            }

            public void rollback() {
            }

            public boolean needsArtifact() {
                return false;
            }
        };
        PairView slowPair = new PairView() {
            public Role role() {
                return ms.getAsLong() > 2400 ? Role.STANDBY : Role.OTHER;
            }

            public String peerProgress() {
                return null;
            }

            public void announce(String progress) {
            }

            public boolean peerSynchronous() {
                return true;
            }

            public boolean streaming() {
                return ms.getAsLong() > 2400;
            }

            public boolean handOver() {
                return false;
            }
        };
        com.fasterxml.jackson.databind.node.ObjectNode spec = new com.fasterxml.jackson.databind.ObjectMapper()
                .createObjectNode();
        spec.putObject("versions").put("k3s", K3S).put("agent", "2.0.0");
        UpgradeCoordinator.Desired d = new UpgradeCoordinator.Desired(7, spec);
        UpgradeCoordinator c = new UpgradeCoordinator(state, () -> d, new UpgradeCoordinator.Drivers(k3s, null, agent,
                null), slowPair, new ArtifactStore(state.resolve("artifacts"), KeyPairGenerator.getInstance("Ed25519")
                .generateKeyPair().getPublic(), Duration.ofSeconds(5)), () -> ms.getAsLong() > 1600,
                (type, severity, message, attrs) -> { }, Duration.ofSeconds(1));
        c.tick();
        UpgradeRecord r = UpgradeRecord.load(state.resolve("upgrade.json")).orElseThrow();
        assertNotEquals("done", r.step(), "kept after " + ms.getAsLong() + " ms with verify-timeout 1 s");
        assertTrue(ms.getAsLong() < 1800, "given up after " + ms.getAsLong() + " ms, verify-timeout 1 s");
        assertEquals(List.of("restart"), restarts, "given up: back to the old version");
    }

    /**
     * FINDING (low): the launcher marks the trial started ({@code : > trial.started}) and gives it up
     * ({@code mv trial trial.failed}) without any sync before exec'ing java: after a power loss in the first seconds
     * (ext4 commits its journal every 5 s) the mark may be gone and the trial is started again — the "once" of
     * docs/upgrades.md ("a launcher that finds trial.started already there (... or the node lost power) gives the
     * trial up") does not hold for exactly the power-loss case it names. Static check of src/deb/gk8s-agent.
     */
    @Test
    void theLauncherMakesTheTrialMarkDurableBeforeStartingIt() throws Exception {
        String launcher = Files.readString(Path.of("src/deb/gk8s-agent"));
        assertTrue(launcher.lines().anyMatch(l -> l.trim().startsWith("sync") || l.contains(" sync ")
                || l.contains("&& sync")), "no sync of trial.started / trial.failed in the launcher");
    }
}
