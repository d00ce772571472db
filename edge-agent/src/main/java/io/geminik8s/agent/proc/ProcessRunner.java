package io.geminik8s.agent.proc;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs an external command with a timeout that holds: stdout and stderr are drained on threads of their own while
 * the command runs (a chatty child cannot fill a pipe and block), and when the time is up the command's whole
 * process tree is killed, not just the child (a shell's background jobs would otherwise outlive it).
 * Stdin is closed at once: a tool that prompts (a password) fails instead of waiting.
 */
public final class ProcessRunner {

    /** What the runner keeps of each stream: its last bytes, enough for an error message. */
    static final int KEEP_BYTES = 64 * 1024;
    /** How long the output of a finished or killed command is awaited (a leaked grandchild may hold a pipe). */
    private static final long DRAIN_MS = 1_000;

    /** The outcome: exit code and output of a command that ended, or {@code timedOut} for one that was killed. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr, boolean timedOut,
                         long tookMs) {
        public boolean ok() {
            return !timedOut && exitCode == 0;
        }

        /** One line for logs and exceptions: the command, how it ended, and the tail of its output. */
        public String describe() {
            String how = timedOut ? "timed out after " + tookMs + " ms (process tree killed)" : "exit " + exitCode;
            String out = (stderr.isBlank() ? stdout : stderr).trim();
            if (out.length() > 2000) {
                out = "…" + out.substring(out.length() - 2000);
            }
            return String.join(" ", command) + ": " + how + (out.isEmpty() ? "" : ": " + out);
        }

        /** This result if the command succeeded; else an {@link IllegalStateException} saying how it failed. */
        public Result orThrow() {
            if (!ok()) {
                throw new IllegalStateException(describe());
            }
            return this;
        }
    }

    public Result run(Duration timeout, List<String> command) {
        return run(timeout, command, Map.of());
    }

    /** Runs {@code command} with {@code env} added to this process's environment. Never waits past the timeout. */
    public Result run(Duration timeout, List<String> command, Map<String, String> env) {
        long t0 = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return new Result(command, 127, "", "cannot start: " + e.getMessage(), false, 0);
        }
        closeQuietly(p.getOutputStream());
        Tail out = Tail.drain(p.getInputStream(), "stdout of " + command.get(0));
        Tail err = Tail.drain(p.getErrorStream(), "stderr of " + command.get(0));
        boolean exited;
        try {
            exited = p.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            killTree(p.toHandle(), Duration.ofSeconds(5));
            Thread.currentThread().interrupt();
            throw new IllegalStateException(String.join(" ", command) + ": interrupted (process tree killed)", e);
        }
        if (!exited) {
            killTree(p.toHandle(), Duration.ofSeconds(5));
        }
        long took = (System.nanoTime() - t0) / 1_000_000;
        return new Result(command, exited ? p.exitValue() : -1, out.await(DRAIN_MS), err.await(DRAIN_MS), !exited,
                took);
    }

    /**
     * Starts a long-running helper that talks over its stdin and stdout (the caller reads and writes them, and ends
     * it with {@link #killTree}); its stderr goes to this process's stderr (the agent's log).
     *
     * @throws IllegalStateException when it cannot be started
     */
    public Process spawn(List<String> command) {
        return spawn(command, Map.of());
    }

    /** As {@link #spawn(List)}, with {@code env} added to this process's environment. */
    public Process spawn(List<String> command, Map<String, String> env) {
        try {
            ProcessBuilder b = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
            b.environment().putAll(env);
            return b.start();
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", command) + ": cannot start: " + e.getMessage(), e);
        }
    }

    /**
     * SIGKILL for {@code root} and every descendant, then waits up to {@code wait} until all are gone. Descendants
     * are killed before the root and looked up again until none is left: once the root is dead its children are
     * re-parented and can no longer be found from it, and a live shell may fork again meanwhile.
     *
     * @return whether every killed process was seen to exit within {@code wait}
     */
    public static boolean killTree(ProcessHandle root, Duration wait) {
        List<ProcessHandle> killed = killAll(root);
        long deadline = System.nanoTime() + wait.toNanos();
        for (ProcessHandle h : killed) {
            try {
                h.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (Exception e) {
                return false;
            }
        }
        return true;
    }

    /**
     * As {@link #killTree}, but returns as soon as every killed process is dead, reaped or not: a zombie runs no
     * code, and an orphan is reaped only when PID 1 gets to it (here about every second).
     *
     * @return whether every killed process was dead within {@code wait}
     */
    public static boolean killTreeNow(ProcessHandle root, Duration wait) {
        List<ProcessHandle> killed = killAll(root);
        long deadline = System.nanoTime() + wait.toNanos();
        for (ProcessHandle h : killed) {
            while (running(h)) {
                if (System.nanoTime() > deadline) {
                    return false;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
        }
        return true;
    }

    private static List<ProcessHandle> killAll(ProcessHandle root) {
        List<ProcessHandle> killed = new ArrayList<>();
        for (int round = 0; round < 10; round++) {
            List<ProcessHandle> alive = root.descendants().filter(ProcessHandle::isAlive).toList();
            if (alive.isEmpty()) {
                break;
            }
            alive.forEach(ProcessHandle::destroyForcibly);
            killed.addAll(alive);
        }
        root.destroyForcibly();
        killed.add(root);
        return killed;
    }

    /** Alive and not a zombie ({@code /proc/<pid>/stat} state Z or X). */
    public static boolean running(ProcessHandle h) {
        if (!h.isAlive()) {
            return false;
        }
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + h.pid() + "/stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException | RuntimeException e) {
            return false; // gone meanwhile
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // the child may already be gone
        }
    }

    /** Drains a stream on a daemon thread, keeping only its last {@link #KEEP_BYTES} bytes. */
    private static final class Tail {
        private final byte[] ring = new byte[KEEP_BYTES];
        private long total;
        private final Thread thread;

        private Tail(InputStream in, String name) {
            thread = new Thread(() -> copy(in), "gk8s-proc " + name);
            thread.setDaemon(true);
        }

        static Tail drain(InputStream in, String name) {
            Tail t = new Tail(in, name);
            t.thread.start();
            return t;
        }

        private void copy(InputStream in) {
            byte[] buf = new byte[8192];
            try (in) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    synchronized (this) {
                        for (int i = 0; i < n; i++) {
                            ring[(int) (total++ % KEEP_BYTES)] = buf[i];
                        }
                    }
                }
            } catch (IOException ignored) {
                // the pipe closes when the process tree is killed
            }
        }

        String await(long ms) {
            try {
                thread.join(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (this) {
                if (total <= KEEP_BYTES) {
                    return new String(ring, 0, (int) total, java.nio.charset.StandardCharsets.UTF_8);
                }
                int start = (int) (total % KEEP_BYTES);
                byte[] ordered = new byte[KEEP_BYTES];
                System.arraycopy(ring, start, ordered, 0, KEEP_BYTES - start);
                System.arraycopy(ring, 0, ordered, KEEP_BYTES - start, start);
                return new String(ordered, java.nio.charset.StandardCharsets.UTF_8);
            }
        }
    }
}
