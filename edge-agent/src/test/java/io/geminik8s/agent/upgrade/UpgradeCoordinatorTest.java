package io.geminik8s.agent.upgrade;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.geminik8s.agent.artifact.ArtifactStore;
import io.geminik8s.agent.k3s.K3sDriver;
import io.geminik8s.protocol.Artifact;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
 * The node's K3s upgrade with the real binary driver ({@link BinaryK3s}) on a stand-in K3s binary
 * (ha-harness/k3s-binary-standin.sh), artifacts fetched over HTTP and checked against the fleet's signature: the
 * standby's upgrade proven or rolled back, a bad artifact refused with nothing installed, the primary's wait and
 * switchover, and a crash at every step resumed by a new agent process to an end that is reported.
 */
class UpgradeCoordinatorTest {

    static final Path STAND_IN = Path.of("../ha-harness/k3s-binary-standin.sh").toAbsolutePath().normalize();
    static final String OLD = "v1.31.4+k3s1";
    static final String NEW = "v1.31.5+k3s1";
    static final String BROKEN = "v1.31.6+k3s99";
    /** Enough for the stand-in to answer (a few ms); every poll of a longer wait would only add crash points. */
    static final Duration VERIFY_FAST = Duration.ofMillis(600);

    @TempDir
    Path dir;
    private ServedFiles server;
    private final Map<String, byte[]> served = new ConcurrentHashMap<>();
    private KeyPair fleet;
    private Path binary;
    private final List<String> restarts = new CopyOnWriteArrayList<>();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final FakePair pair = new FakePair();

    @BeforeEach
    void setUp() throws Exception {
        fleet = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        server = new ServedFiles(served);
        binary = Files.createDirectories(dir.resolve("bin")).resolve("k3s");
        Files.write(binary, standIn(OLD));
        Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    static byte[] standIn(String version) throws Exception {
        return Files.readString(STAND_IN).replace("VERSION=" + OLD, "VERSION=" + version)
                .getBytes(StandardCharsets.UTF_8);
    }

    /** A desired state of generation 7 naming K3s {@code version}, its artifact signed over {@code signedBytes}. */
    private UpgradeCoordinator.Desired desired(String version, byte[] signedBytes) throws Exception {
        served.putIfAbsent("/k3s-" + version, signedBytes);
        Artifact a = new Artifact("k3s", version, "http://127.0.0.1:" + server.port() + "/k3s-" + version,
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(signedBytes)),
                (long) signedBytes.length, null).signedWith(fleet.getPrivate());
        ObjectMapper json = new ObjectMapper();
        ObjectNode spec = json.createObjectNode();
        spec.putObject("versions").put("k3s", version);
        spec.putArray("artifacts").add(json.valueToTree(a));
        return new UpgradeCoordinator.Desired(7, spec);
    }

    private UpgradeCoordinator coordinator(UpgradeCoordinator.Desired d, K3sVersions k3s) {
        return coordinator(d, k3s, Duration.ofSeconds(2));
    }

    private UpgradeCoordinator coordinator(UpgradeCoordinator.Desired d, K3sVersions k3s, Duration verify) {
        return new UpgradeCoordinator(dir.resolve("state"), () -> d, k3s, pair,
                new ArtifactStore(dir.resolve("state/artifacts"), fleet.getPublic(), Duration.ofSeconds(10)),
                () -> true, (type, severity, message, attrs) -> events.add(type), verify);
    }

    private BinaryK3s real() {
        return new BinaryK3s(binary, null, new RecordingService());
    }

    private UpgradeRecord record() {
        return UpgradeRecord.load(dir.resolve("state/upgrade.json")).orElseThrow();
    }

    @Test
    void theStandbyInstallsProvesAndReportsTheNewVersion() throws Exception {
        UpgradeCoordinator c = coordinator(desired(NEW, standIn(NEW)), real());
        c.tick();
        assertEquals("done", record().step());
        assertEquals(7, c.settled());
        assertEquals(NEW, real().running());
        assertEquals(NEW, c.runtime().versions().get("k3s"));
        assertEquals(true, c.runtime().k3sReady());
        assertEquals(OLD, new BinaryK3s(binary.resolveSibling("k3s.gk8s-previous"), null, null).running(),
                "the version to roll back to is kept");
        assertEquals(List.of("upgrade.installing", "upgrade.verifying", "upgrade.done"), events);
        assertEquals(List.of("restart-if-wanted"), restarts);
        assertEquals("7:done:h", pair.announced, "done, and reaching the hub");
        c.tick();
        assertEquals(3, events.size(), "a finished generation is not done again");
    }

    @Test
    void aVersionThatNeverGetsReadyIsRolledBackAndReportedFailed() throws Exception {
        UpgradeCoordinator c = coordinator(desired(BROKEN, standIn(BROKEN)), real());
        c.tick();
        UpgradeRecord r = record();
        assertEquals("failed", r.step());
        assertTrue(r.error().contains("not ready"), r.error());
        assertEquals(OLD, real().running(), "back on the old version");
        assertEquals(0, c.settled(), "a failed generation is never reported applied");
        assertEquals(List.of("upgrade.installing", "upgrade.verifying", "upgrade.rolling-back", "upgrade.failed"), events);
        assertEquals("failed", c.runtime().upgrade().step());
    }

    @Test
    void anArtifactWhoseBytesAreNotWhatWasSignedIsRefusedAndNothingIsInstalled() throws Exception {
        byte[] before = Files.readAllBytes(binary);
        served.put("/k3s-" + NEW, standIn(NEW + "-tampered"));
        UpgradeCoordinator c = coordinator(desired(NEW, standIn(NEW)), real());
        c.tick();
        assertEquals("failed", record().step());
        assertTrue(record().error().contains("refused"), record().error());
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(binary)), "the binary is untouched");
        assertEquals(List.of(), restarts, "K3s was never restarted");
        assertEquals(List.of("upgrade.failed"), events);
    }

    @Test
    void thePrimaryWaitsForItsStandbyThenHandsOverThenUpgradesAsTheNewStandby() throws Exception {
        pair.role = PairView.Role.PRIMARY;
        UpgradeCoordinator c = coordinator(desired(NEW, standIn(NEW)), real());
        c.tick();
        assertEquals("waiting-for-standby", record().step());
        pair.peer = "7:done:h";
        pair.synchronous = false;
        c.tick();
        assertEquals("waiting-for-standby", record().step(), "not while the standby is not synchronous");
        assertEquals(0, pair.handOvers);
        pair.synchronous = true;
        c.tick();
        assertEquals("switching-over", record().step());
        assertEquals(1, pair.handOvers);
        assertEquals(OLD, real().running(), "the primary's K3s is untouched until it is a standby");
        pair.role = PairView.Role.OTHER; // stepped down, rejoining
        c.tick();
        assertEquals("switching-over", record().step());
        pair.role = PairView.Role.STANDBY;
        c.tick();
        assertEquals("done", record().step());
        assertEquals(NEW, real().running());
    }

    /** Fails the n-th call to the driver, before or after it runs, as a process killed there would. */
    static final class Crash extends Error {
    }

    private static K3sVersions crashing(K3sVersions real, int n, boolean after) {
        int[] calls = {0};
        return new K3sVersions() {
            private <T> T at(java.util.function.Supplier<T> call) {
                if (++calls[0] == n && !after) {
                    throw new Crash();
                }
                T t = call.get();
                if (calls[0] == n) {
                    throw new Crash();
                }
                return t;
            }

            public String running() {
                return at(real::running);
            }

            public boolean ready() {
                return at(real::ready);
            }

            public void install(Path artifact, String version) {
                at(() -> {
                    real.install(artifact, version);
                    return null;
                });
            }

            public void rollback() {
                at(() -> {
                    real.rollback();
                    return null;
                });
            }
        };
    }

    @Test
    void aCrashAtEveryStepIsResumedToAReportedEnd() throws Exception {
        int cases = 0;
        for (String target : List.of(NEW, BROKEN)) {
            for (int n = 1; ; n++) {
                boolean crashed = false;
                for (boolean after : List.of(false, true)) {
                    setUpFresh();
                    UpgradeCoordinator.Desired d = desired(target, standIn(target));
                    try {
                        coordinator(d, crashing(real(), n, after), VERIFY_FAST).tick();
                    } catch (Crash c) {
                        crashed = true;
                    }
                    UpgradeCoordinator next = coordinator(d, real(), VERIFY_FAST); // the agent started again
                    for (int i = 0; i < 3 && !recordFinished(); i++) {
                        next.tick();
                    }
                    UpgradeRecord r = record();
                    String running = real().running();
                    assertNotNull(running, "never a half-installed binary");
                    if (target.equals(NEW)) {
                        assertEquals("done", r.step(), "crash at call " + n + (after ? " (after)" : " (before)"));
                        assertEquals(NEW, running);
                    } else {
                        assertEquals("failed", r.step(), "crash at call " + n + (after ? " (after)" : " (before)"));
                        assertEquals(OLD, running, "a failed upgrade leaves the old version running");
                    }
                    assertEquals(r.step().equals("done") ? 7 : 0, next.settled());
                    cases++;
                }
                if (!crashed) {
                    break; // the whole upgrade ran with fewer calls: every step has been crashed
                }
            }
        }
        assertTrue(cases > 10, cases + " crash points");
    }

    private boolean recordFinished() {
        return UpgradeRecord.load(dir.resolve("state/upgrade.json")).map(UpgradeRecord::finished).orElse(false);
    }

    private void setUpFresh() throws Exception {
        for (Path p : List.of(dir.resolve("state/upgrade.json"), binary.resolveSibling("k3s.gk8s-previous"))) {
            Files.deleteIfExists(p);
        }
        Files.write(binary, standIn(OLD));
        events.clear();
    }

    /** The K3s service: the binary is real, its restarts are what the test can see here (no systemd). */
    private final class RecordingService implements K3sDriver {
        public void stop() {
        }

        public void start() {
        }

        public void restart() {
            restarts.add("restart");
        }

        public void restartIfWanted() {
            restarts.add("restart-if-wanted");
        }

        public void bumpKineIdSequence() {
        }

        public String rotateCertificates() {
            return "";
        }
    }

    static final class FakePair implements PairView {
        volatile Role role = Role.STANDBY;
        volatile String peer;
        volatile String announced;
        volatile boolean synchronous = true;
        volatile int handOvers;

        public Role role() {
            return role;
        }

        public String peerProgress() {
            return peer;
        }

        public void announce(String progress) {
            announced = progress;
        }

        public boolean peerSynchronous() {
            return synchronous;
        }

        public boolean streaming() {
            return true;
        }

        public boolean handOver() {
            handOvers++;
            return true;
        }
    }
}
