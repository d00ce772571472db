package io.geminik8s.agent.k3s;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A K3s that an earlier agent process left running (it crashed, or ended to be started again on a new version) is
 * stopped by the next agent like its own, so a node never runs two; a pid file naming another process is not acted on.
 */
class ProcessK3sLeftoverTest {

    private static final Path STAND_IN = Path.of("../ha-harness/k3s-standin.sh").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    private ProcessK3s agent() {
        return new ProcessK3s("sh " + STAND_IN + " " + dir, null, dir.resolve("k3s.log"), sql -> { });
    }

    private ProcessHandle serving() throws Exception {
        return ProcessHandle.of(Long.parseLong(Files.readString(dir.resolve("pid")).strip())).orElseThrow();
    }

    @Test
    void theNextAgentStopsTheK3sTheLastOneLeftRunning() throws Exception {
        agent().start(); // its agent then ends without stopping it
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(dir.resolve("pid")));
        ProcessHandle left = serving();
        assertTrue(left.isAlive());

        ProcessK3s next = agent();
        next.stop(); // a starting HA node stands down first: K3s stopped
        await().atMost(Duration.ofSeconds(15)).until(() -> !left.isAlive());

        next.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> serving().pid() != left.pid() && serving().isAlive());
        ProcessHandle own = serving();
        ProcessK3s third = agent();
        third.start(); // an agent that starts K3s at once: the one before is stopped first, one K3s runs
        await().atMost(Duration.ofSeconds(15)).until(() -> !own.isAlive());
        assertTrue(serving().isAlive());
        third.stop();
    }

    @Test
    void aPidFileNamingAnotherProcessIsNotActedOn() throws Exception {
        ProcessHandle me = ProcessHandle.current(); // the pid of a live process, its start time not the one written
        Files.writeString(dir.resolve("k3s.pid"), me.pid() + " 12345\n");
        ProcessK3s k = agent();
        k.stop();
        assertTrue(me.isAlive());
        assertEquals(false, Files.exists(dir.resolve("k3s.pid")), "read once");
        Files.writeString(dir.resolve("k3s.pid"), "not a pid\n");
        k.stop(); // garbage: said and left
        k.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(dir.resolve("pid")) && serving().isAlive());
        k.stop();
    }
}
