package io.geminik8s.agent.pg;

import io.geminik8s.agent.proc.ProcessRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * The postmaster of one {@link PgControl}'s data directory, run as a child of this process (never daemonized by
 * pg_ctl): a killed postgres is reaped at once, so pg_rewind does not trip over a zombie (stack.md: PID 1 here reaps
 * orphans only every second or so). Start, SIGKILL of the whole tree, clean stop.
 */
final class Postmaster {

    private final PgControl pg;
    private volatile Process process;

    Postmaster(PgControl pg) {
        this.pg = pg;
    }

    /** Held around a spawn and around {@link #kill}'s read of the process (never while waiting). */
    private final Object spawn = new Object();

    OptionalLong pid() {
        Process p = process;
        return p != null && p.isAlive() ? OptionalLong.of(p.pid()) : OptionalLong.empty();
    }

    boolean alive() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /** Starts {@code cmd} (a postmaster left by an earlier agent process is stopped first), waits for connections. */
    void start(List<String> cmd) {
        start(cmd, () -> true);
    }

    /**
     * As {@link #start(List)}, spawning only while {@code mayStart} holds, checked under the lock {@link #kill} reads
     * the process under: a kill that ran before the spawn made {@code mayStart} false (the fence counts first), one
     * after it finds the process — no server comes up behind a fence.
     */
    void start(List<String> cmd, java.util.function.BooleanSupplier mayStart) {
        stopLeftover();
        Process p;
        synchronized (spawn) {
            if (!mayStart.getAsBoolean()) {
                throw new FencedWhileStarting(pg.name + ": fenced before PostgreSQL started; not started", null);
            }
            try {
                p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(
                        pg.data.resolveSibling(pg.name + "-postgres.log").toFile())).start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            process = p;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (Connection c = pg.connect()) {
                return;
            } catch (SQLException e) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException(pg.name + ": postgres did not start (see " + pg.name
                            + "-postgres.log)", e);
                }
                try {
                    p.waitFor(100, TimeUnit.MILLISECONDS); // returns early if it dies
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(ie);
                }
            }
        }
    }

    /**
     * SIGKILL of the whole tree, backends before the postmaster, then of any postgres named in postmaster.pid, then of
     * every postgres process still working in the data directory; returns once they are dead (not waiting for orphans
     * to be reaped). Every kill is sent even when an earlier wait gave up; then it throws. Takes no lock and asks the
     * server nothing.
     */
    void kill() {
        Process p;
        synchronized (spawn) {
            p = process;
        }
        boolean treeDead = p == null || ProcessRunner.killTreeNow(p.toHandle(), Duration.ofSeconds(10));
        leftover().filter(h -> p == null || h.pid() != p.pid()).ifPresent(h -> {
            h.descendants().forEach(ProcessHandle::destroyForcibly);
            h.destroyForcibly();
        });
        // a backend forked after the tree was read outlives its killed postmaster until it next waits for its client,
        // and may acknowledge one more commit; every postgres working in the data directory (the postmaster and its
        // children chdir there; a backend's command line is its status, not the data directory) is killed and awaited
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (List<ProcessHandle> left = serversInDataDirectory(); !left.isEmpty(); left = serversInDataDirectory()) {
            left.forEach(ProcessHandle::destroyForcibly);
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(pg.name + ": postgres processes " + left.stream().map(h -> Long.toString(
                        h.pid())).toList() + " did not exit within 10 s of SIGKILL");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000); // polls the processes' exit, 1 ms apart
        }
        if (!treeDead) {
            throw new IllegalStateException(pg.name + ": postgres did not exit within 10 s of SIGKILL");
        }
    }

    /** Clean shutdown (fast mode), if running. */
    void stop() {
        Process p = process;
        if (p != null && p.isAlive()) {
            pgCtlStop();
            try {
                p.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The live process named in postmaster.pid, if any (a postmaster this object may not have started). */
    private Optional<ProcessHandle> leftover() {
        try {
            Path pid = pg.data.resolve("postmaster.pid");
            return Files.exists(pid) ? ProcessHandle.of(Long.parseLong(Files.readAllLines(pid).get(0).trim()))
                    .filter(h -> h.isAlive() && postgres(h))
                    : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // no file, or one half-written: nothing to kill by it
        }
    }

    private void stopLeftover() {
        if (leftover().isPresent()) {
            pgCtlStop();
        }
    }

    private void pgCtlStop() {
        pg.run(Duration.ofSeconds(60), pg.bin.resolve("pg_ctl").toString(), "stop", "-m", "fast", "-w", "-D",
                pg.data.toString());
    }

    /** The running (not zombie) postgres processes whose working directory is the data directory. */
    List<ProcessHandle> serversInDataDirectory() {
        Path dir;
        try {
            dir = pg.data.toRealPath();
        } catch (IOException e) {
            dir = pg.data.toAbsolutePath().normalize();
        }
        Path data = dir;
        return ProcessHandle.allProcesses().filter(h -> worksIn(h, data)).filter(Postmaster::postgres)
                .filter(ProcessRunner::running).toList();
    }

    /** Whether {@code h} works in {@code data}; a working directory that cannot be read is not ours. */
    private static boolean worksIn(ProcessHandle h, Path data) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/" + h.pid() + "/cwd")).equals(data);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    /**
     * Whether {@code h} is a postgres process, by its kernel name ({@code /proc/<pid>/comm}, as the watchdog checks):
     * its executable's path reads "… (deleted)" once a package upgrade replaced the binary it runs.
     */
    private static boolean postgres(ProcessHandle h) {
        try {
            return Files.readString(Path.of("/proc/" + h.pid() + "/comm")).strip().equals("postgres");
        } catch (IOException | RuntimeException e) {
            return false; // gone meanwhile
        }
    }
}
