package io.geminik8s.agent.k3s;

import io.geminik8s.agent.proc.ProcessRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * K3s (or a stand-in) run by the agent as a child process, from {@code k3s.command}: for hosts without systemd and
 * for the fault-injection harness, whose stand-in writes to PostgreSQL the way Kine does so that the fencing order
 * can be seen. Stop is SIGTERM, then SIGKILL of its whole process tree after 10 s. The child's pid and start time
 * are kept beside the log ({@code k3s.pid}): a K3s that an earlier agent process left running (it crashed, or ended
 * to be started again on a new version) is stopped like this agent's own, so that a node never runs two.
 */
public final class ProcessK3s implements K3sDriver {

    private static final Logger LOG = Logger.getLogger(ProcessK3s.class.getName());

    private final List<String> command;
    private final List<String> rotate;
    private final Path log;
    private final Consumer<String> sql;
    private Process process;
    /** Whether HA wants K3s running: a rotation restarts it only then. */
    private boolean wanted;

    /**
     * {@code command} runs through {@code sh -c}; its output is appended to {@code log}. {@code rotateCommand}
     * ({@code k3s.rotate-command}, e.g. {@code k3s certificate rotate}; null: K3s's certificates are not rotated)
     * runs while it is stopped.
     */
    public ProcessK3s(String command, String rotateCommand, Path log, Consumer<String> sql) {
        this.command = List.of("sh", "-c", "exec " + command);
        this.rotate = rotateCommand == null ? null : List.of("sh", "-c", "exec " + rotateCommand);
        this.log = log;
        this.sql = sql;
    }

    @Override
    public synchronized void stop() {
        wanted = false;
        stopProcess();
    }

    private synchronized void stopProcess() {
        stopLeftover();
        if (process == null || !process.isAlive()) {
            return;
        }
        stopTree(process.toHandle());
    }

    private static void stopTree(ProcessHandle h) {
        h.destroy();
        try {
            h.onExit().get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            if (!ProcessRunner.killTree(h, Duration.ofSeconds(10))) {
                LOG.warning("K3s did not exit within 10 s of SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stops the K3s an earlier agent process started, when the one named in {@code k3s.pid} still runs. */
    private void stopLeftover() {
        Path file = pidFile();
        try {
            if (!Files.exists(file)) {
                return;
            }
            String[] f = Files.readString(file).strip().split(" ");
            Files.delete(file);
            long pid = Long.parseLong(f[0]);
            long started = Long.parseLong(f[1]);
            if (process != null && process.pid() == pid) {
                return; // this agent's own
            }
            ProcessHandle.of(pid).filter(h -> h.info().startInstant().map(java.time.Instant::toEpochMilli)
                    .orElse(-1L) == started).ifPresent(h -> {
                        LOG.warning("stopping K3s " + pid + " that an earlier agent process left running");
                        stopTree(h);
                    });
        } catch (IOException | RuntimeException e) {
            LOG.warning("K3s left by an earlier agent process: " + file + ": " + e.getMessage());
        }
    }

    private Path pidFile() {
        return log.resolveSibling("k3s.pid");
    }

    @Override
    public synchronized void start() {
        wanted = true;
        startProcess();
    }

    private synchronized void startProcess() {
        if (process != null && process.isAlive()) {
            return;
        }
        try {
            stopLeftover();
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            io.geminik8s.agent.state.DurableFiles.write(pidFile(), (process.pid() + " " + process.info().startInstant()
                    .map(java.time.Instant::toEpochMilli).orElse(-1L) + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        } catch (IOException e) {
            LOG.warning("cannot start K3s (" + String.join(" ", command) + "): " + e.getMessage());
        }
    }

    @Override
    public void restart() {
        stop();
        start();
    }

    @Override
    public synchronized void restartIfWanted() {
        if (wanted) {
            stopProcess();
            startProcess();
        }
    }

    /** {@code k3s.rotate-command} between a stop and a start; the lock is not held while it runs. */
    @Override
    public String rotateCertificates() {
        if (rotate == null) {
            return "K3s certificates not rotated (no k3s.rotate-command)";
        }
        stopProcess();
        ProcessRunner.Result r = new ProcessRunner().run(Duration.ofMinutes(2), rotate);
        synchronized (this) {
            if (wanted) {
                startProcess();
            }
        }
        r.orThrow();
        LOG.info("K3s certificates rotated" + (r.stdout().isBlank() ? "" : ": " + r.stdout().strip()));
        return "K3s certificates rotated";
    }

    @Override
    public void bumpKineIdSequence() {
        sql.accept(BUMP_KINE_IDS);
    }
}
