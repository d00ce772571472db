package io.geminik8s.agent.ha;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.proc.ProcessRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fence watchdog process (fence-watchdog.sh through {@link Watchdog}) against a stand-in postmaster: a copy of
 * bash named postgres, working in the data directory, with two children named postgres (copies of sleep), its pid in
 * postmaster.pid. {@code ip} is a wrapper that notes its arguments and whether the postmaster was alive then.
 */
class WatchdogTest {

    private static final String VIP = "198.51.100.10/24";

    @TempDir
    Path tmp;
    private Path data;
    private Path ipLog;
    private final List<Process> started = new ArrayList<>();
    private final List<String> fired = new CopyOnWriteArrayList<>();
    private volatile long firedAtMs;
    private Process postmaster;
    private Watchdog watchdog;

    @BeforeEach
    void standIn() throws Exception {
        data = Files.createDirectories(tmp.resolve("data"));
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path kids = Files.createDirectories(tmp.resolve("kids"));
        Files.copy(Path.of("/bin/bash"), bin.resolve("postgres"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.copy(Path.of("/bin/sleep"), kids.resolve("postgres"), StandardCopyOption.COPY_ATTRIBUTES);
        String kid = kids.resolve("postgres") + " 300";
        postmaster = start(data, bin.resolve("postgres").toString(), "-c", kid + " & " + kid + " & wait");
        await().atMost(Duration.ofSeconds(10)).until(() -> postmaster.children().count() == 2);
        Files.writeString(data.resolve("postmaster.pid"), postmaster.pid() + "\n" + data + "\n");
        ipLog = tmp.resolve("ip.log");
        List<String> ip = List.of("sh", "-c", "if kill -0 " + postmaster.pid() + " 2>/dev/null; then s=alive; else"
                + " s=dead; fi; echo \"$* postmaster $s\" >> " + ipLog, "ip-wrapper");
        watchdog = new Watchdog(new ProcessRunner(), tmp.resolve("state"), data, VIP, "v-test", ip, line -> {
            firedAtMs = nowMs();
            fired.add(line);
        });
    }

    @AfterEach
    void stop() {
        watchdog.close();
        started.forEach(p -> ProcessRunner.killTree(p.toHandle(), Duration.ofSeconds(5)));
    }

    @Test
    void firesAtTheDeadlineWhenNotFed() throws Exception {
        List<ProcessHandle> kids = postmaster.children().toList();
        long deadline = nowMs() + 500;
        watchdog.arm(deadline);
        await().atMost(Duration.ofSeconds(5)).until(() -> !fired.isEmpty());
        assertTrue(firedAtMs >= deadline - 20, "fired " + (deadline - firedAtMs) + " ms before the deadline");
        assertTrue(fired.get(0).startsWith("fired lease-lapsed "), fired.get(0));
        assertTrue(fired.get(0).endsWith(" " + postmaster.pid()), fired.get(0));
        assertFalse(running(postmaster.toHandle()));
        kids.forEach(k -> assertFalse(running(k), "child " + k.pid() + " alive"));
        // the VIP went first, while the postmaster still ran
        assertEquals(List.of("ip addr del " + VIP + " dev v-test postmaster alive"), Files.readAllLines(ipLog));
    }

    @Test
    void doesNotFireWhileFedAndFiresOnceTheFeedStops() {
        long until = nowMs() + 1_500;
        // the agent's renewals: every 100 ms, 1 s ahead (a sleep that overran by more would let it fire by right)
        while (nowMs() < until) {
            watchdog.arm(nowMs() + 1_000);
            assertTrue(fired.isEmpty(), "fired while fed: " + fired);
            sleepMs(100);
        }
        long lastDeadline = nowMs() + 400;
        watchdog.arm(lastDeadline);
        await().atMost(Duration.ofSeconds(5)).until(() -> !fired.isEmpty());
        assertTrue(firedAtMs >= lastDeadline - 20, "fired " + (lastDeadline - firedAtMs) + " ms early");
        assertFalse(running(postmaster.toHandle()));
    }

    @Test
    void afterEofFencesAtTheDeadlineThenExits() throws IOException {
        long pid = watchdog.pid();
        long deadline = nowMs() + 1_000;
        watchdog.arm(deadline);
        watchdog.abandon(); // the agent died: no renewal will come, nobody reads the answer
        await().pollInterval(Duration.ofMillis(10)).atMost(Duration.ofSeconds(6))
                .until(() -> !running(postmaster.toHandle()));
        long deadAt = nowMs();
        assertTrue(deadAt >= deadline - 20, "fenced " + (deadline - deadAt) + " ms before the deadline");
        await().atMost(Duration.ofSeconds(5)).until(() -> ProcessHandle.of(pid).map(h -> !running(h)).orElse(true));
        assertEquals(1, Files.readAllLines(ipLog).size());
    }

    @Test
    void neverKillsAProcessThatIsNotAPostgresOfThisDataDirectory() throws Exception {
        Process sleep = start(data, "sleep", "300"); // in the data directory, but not postgres
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
        Process otherPostgres = start(elsewhere, tmp.resolve("kids/postgres").toString(), "300"); // postgres, elsewhere
        for (Process p : List.of(sleep, otherPostgres)) {
            fired.clear();
            Files.writeString(data.resolve("postmaster.pid"), p.pid() + "\n");
            watchdog.arm(nowMs());
            await().atMost(Duration.ofSeconds(5)).until(() -> !fired.isEmpty());
            assertTrue(fired.get(0).endsWith(" -"), fired.get(0)); // found no postmaster to kill
            assertTrue(running(p.toHandle()), "killed " + p.info().command());
        }
        assertTrue(running(postmaster.toHandle()));
    }

    @Test
    void aDisarmedWatchdogDoesNotFire() {
        watchdog.arm(nowMs() + 1_000);
        watchdog.disarm();
        await().during(Duration.ofMillis(1_500)).atMost(Duration.ofSeconds(3)).until(fired::isEmpty);
        assertTrue(running(postmaster.toHandle()));
        // and it is armed again by the next renewal
        watchdog.arm(nowMs() + 100);
        await().atMost(Duration.ofSeconds(5)).until(() -> !fired.isEmpty());
        assertFalse(running(postmaster.toHandle()));
    }

    private Process start(Path dir, String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        started.add(p);
        return p;
    }

    /** Alive and not a zombie (a killed child of a dead postmaster waits for PID 1 to reap it). */
    private static boolean running(ProcessHandle h) {
        try {
            String stat = Files.readString(Path.of("/proc/" + h.pid() + "/stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }

    private static long nowMs() {
        return System.nanoTime() / 1_000_000;
    }

    private static void sleepMs(long ms) {
        try {
            Thread.sleep(ms); // the feed's cadence, the behaviour under test; not a wait for a condition
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
