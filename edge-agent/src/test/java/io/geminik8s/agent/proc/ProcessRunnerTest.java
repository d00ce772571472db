package io.geminik8s.agent.proc;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessRunnerTest {

    private final ProcessRunner runner = new ProcessRunner();

    @Test
    void exitCodeAndBothStreamsAreReturned() {
        ProcessRunner.Result r = runner.run(Duration.ofSeconds(10),
                List.of("sh", "-c", "echo out; echo err >&2; exit 3"));
        assertFalse(r.timedOut());
        assertEquals(3, r.exitCode());
        assertEquals("out\n", r.stdout());
        assertEquals("err\n", r.stderr());
        assertFalse(r.ok());
        assertTrue(r.describe().contains("exit 3: err"), r.describe());
    }

    @Test
    void environmentIsPassed() {
        ProcessRunner.Result r = runner.run(Duration.ofSeconds(10), List.of("sh", "-c", "echo $GK8S_X"),
                Map.of("GK8S_X", "42"));
        assertTrue(r.ok());
        assertEquals("42\n", r.stdout());
    }

    @Test
    void aMissingCommandIsAResultNotAnException() {
        ProcessRunner.Result r = runner.run(Duration.ofSeconds(10), List.of("/nonexistent/gk8s-tool"));
        assertEquals(127, r.exitCode());
        assertTrue(r.stderr().startsWith("cannot start"), r.stderr());
    }

    @Test
    void aTimeoutKillsTheCommandAndReturnsAtOnce(@TempDir Path dir) throws Exception {
        Path pids = dir.resolve("pids");
        long t0 = System.nanoTime();
        ProcessRunner.Result r = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> runner.run(
                Duration.ofSeconds(1), List.of("sh", "-c", "echo $$ > " + pids + "; exec sleep 30")));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(r.timedOut());
        assertFalse(r.ok());
        assertTrue(ms < 2_000, "returned after " + ms + " ms");
        assertTrue(r.describe().contains("timed out"), r.describe());
        assertGone(pids, 1);
    }

    @Test
    void aTimeoutKillsGrandchildrenToo(@TempDir Path dir) throws Exception {
        Path pids = dir.resolve("pids");
        String script = "sleep 30 & echo $! >> " + pids + "; sleep 30 & echo $! >> " + pids + "; wait";
        ProcessRunner.Result r = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> runner.run(Duration.ofSeconds(1), List.of("sh", "-c", script)));
        assertTrue(r.timedOut());
        // the orphaned sleeps are reaped by PID 1, which may do it only about once a second: well under their 30 s
        assertTrue(r.tookMs() < 5_000, "returned after " + r.tookMs() + " ms");
        assertGone(pids, 2);
    }

    @Test
    void aChattyChildDoesNotDeadlock() {
        // 2 MiB on each stream, far beyond a pipe's 64 KiB buffer
        String script = "head -c 2097152 /dev/zero | tr '\\0' o; head -c 2097152 /dev/zero | tr '\\0' e >&2; exit 0";
        ProcessRunner.Result r = assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> runner.run(Duration.ofSeconds(15), List.of("sh", "-c", script)));
        assertTrue(r.ok(), r.describe());
        assertEquals(ProcessRunner.KEEP_BYTES, r.stdout().length(), "the tail is kept");
        assertTrue(r.stdout().chars().allMatch(c -> c == 'o'));
        assertTrue(r.stderr().chars().allMatch(c -> c == 'e'));
    }

    @Test
    void killTreeKillsADetachedDescendant() throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "sleep 30 & sleep 30").start();
        await().atMost(Duration.ofSeconds(5)).until(() -> p.descendants().count() == 2);
        List<ProcessHandle> tree = p.descendants().toList();
        assertTrue(ProcessRunner.killTree(p.toHandle(), Duration.ofSeconds(5)));
        assertFalse(p.isAlive());
        tree.forEach(h -> assertFalse(h.isAlive(), "descendant " + h.pid() + " killed"));
    }

    /** Every process whose id is in {@code pids} ({@code expected} of them) has exited. */
    private static void assertGone(Path pids, int expected) throws Exception {
        List<Long> ids = Files.readAllLines(pids).stream().map(String::trim).map(Long::parseLong).toList();
        assertEquals(expected, ids.size());
        for (long id : ids) {
            assertFalse(ProcessHandle.of(id).map(ProcessHandle::isAlive).orElse(false), "process " + id + " gone");
        }
    }

    @Test
    void killTreeNowKillsAStoppedTreeWithoutWaitingForOrphansToBeReaped() throws Exception {
        // a parent that is stopped cannot reap its killed children: they stay zombies until PID 1 adopts them
        Process p = new ProcessBuilder("sh", "-c", "sleep 30 & sleep 30 & wait").start();
        await().atMost(Duration.ofSeconds(10)).until(() -> p.descendants().count() == 2);
        List<ProcessHandle> tree = new java.util.ArrayList<>(p.descendants().toList());
        tree.add(p.toHandle());
        for (ProcessHandle h : tree) {
            assertEquals(0, new ProcessBuilder("kill", "-STOP", Long.toString(h.pid())).start().waitFor());
        }
        long t0 = System.nanoTime();
        assertTrue(ProcessRunner.killTreeNow(p.toHandle(), Duration.ofSeconds(10)));
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(tookMs < 500, "took " + tookMs + " ms");
        tree.forEach(h -> assertFalse(ProcessRunner.running(h), h.pid() + " still runs"));
    }
}
