package io.geminik8s.agent.k3s;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * K3s re-issuing its certificates on a node (issue 12: rotation covers K3s where present), with the stand-in
 * {@code ha-harness/k3s-standin.sh}, which like K3s refuses to rotate while it serves: a running K3s is stopped,
 * rotated and started again; a stopped one (a fenced node) stays stopped; a failed rotation throws and K3s runs again.
 */
class ProcessK3sRotationTest {

    private static final Path STAND_IN = Path.of("../ha-harness/k3s-standin.sh").toAbsolutePath().normalize();

    @TempDir
    Path dir;
    private ProcessK3s k3s;

    private ProcessK3s k3s() {
        k3s = new ProcessK3s("sh " + STAND_IN + " " + dir, "sh " + STAND_IN + " " + dir + " certificate rotate",
                dir.resolve("k3s.log"), sql -> { });
        return k3s;
    }

    @AfterEach
    void stop() {
        if (k3s != null) {
            k3s.stop();
        }
    }

    private long servingPid() throws Exception {
        return Long.parseLong(Files.readString(dir.resolve("pid")).strip());
    }

    private boolean serving() throws Exception {
        return Files.exists(dir.resolve("pid")) && ProcessHandle.of(servingPid()).map(ProcessHandle::isAlive)
                .orElse(false);
    }

    private String serial() throws Exception {
        return Files.readString(dir.resolve("cert-serial")).strip();
    }

    @Test
    void aRunningK3sIsStoppedRotatedAndStartedAgain() throws Exception {
        ProcessK3s k = k3s();
        k.start();
        await().atMost(Duration.ofSeconds(10)).until(this::serving);
        long before = servingPid();
        assertEquals("K3s certificates rotated", k.rotateCertificates());
        assertEquals("1", serial());
        await().atMost(Duration.ofSeconds(10)).until(() -> serving() && servingPid() != before);
        assertNotEquals(before, servingPid());
        await().atMost(Duration.ofSeconds(10)).until(() ->
                Files.readString(dir.resolve("k3s.log")).contains("serving with certificate serial 1"));
    }

    @Test
    void aStoppedK3sStaysStoppedAndTakesThemAtItsNextStart() throws Exception {
        ProcessK3s k = k3s();
        k.start();
        await().atMost(Duration.ofSeconds(10)).until(this::serving);
        k.stop(); // HA fenced the node
        k.rotateCertificates();
        assertEquals("1", serial());
        assertFalse(serving(), "a fenced node's K3s is not started by a rotation");
        k.start();
        await().atMost(Duration.ofSeconds(10)).until(() ->
                Files.readString(dir.resolve("k3s.log")).contains("serving with certificate serial 1"));
    }

    @Test
    void withoutARotateCommandNothingIsStoppedAndTheAnswerSaysSo() throws Exception {
        k3s = new ProcessK3s("sh " + STAND_IN + " " + dir, null, dir.resolve("k3s.log"), sql -> { });
        k3s.start();
        await().atMost(Duration.ofSeconds(10)).until(this::serving);
        long pid = servingPid();
        assertEquals("K3s certificates not rotated (no k3s.rotate-command)", k3s.rotateCertificates());
        assertEquals(pid, servingPid());
        assertTrue(serving());
    }

    @Test
    void aFailedRotationThrowsAndK3sRunsAgain() throws Exception {
        ProcessK3s k = k3s();
        k.start();
        await().atMost(Duration.ofSeconds(10)).until(this::serving);
        Files.writeString(dir.resolve("fail-rotate"), "");
        IllegalStateException e = assertThrows(IllegalStateException.class, k::rotateCertificates);
        assertTrue(e.getMessage().contains("rotation failed on request"), e.getMessage());
        await().atMost(Duration.ofSeconds(10)).until(this::serving);
        assertFalse(Files.exists(dir.resolve("cert-serial")));
    }
}
