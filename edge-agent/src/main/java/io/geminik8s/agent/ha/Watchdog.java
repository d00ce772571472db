package io.geminik8s.agent.ha;

import io.geminik8s.agent.proc.ProcessRunner;
import io.geminik8s.agent.state.DurableFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The agent's side of {@code fence-watchdog.sh}, a bash process that fences the node (VIP deleted, the postmaster
 * of the data directory and its children SIGKILLed) when the lease deadline it was last fed passes: it needs nothing
 * of this JVM, so a frozen or dead agent is fenced too. Fed the time left of the lease on every renewal (the script
 * counts it from when it reads it, on its own clock); disarmed, synchronously, when the node stops holding its epoch.
 */
public final class Watchdog implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Watchdog.class.getName());
    static final String SCRIPT = "fence-watchdog.sh";
    /** A deadline further away than this is no lease (a forced holder waits for the hub): nothing to guard. */
    static final long MAX_ARM_MS = 3_600_000;
    static final Duration DISARM_WAIT = Duration.ofSeconds(1);

    private final ProcessRunner runner;
    private final List<String> command;
    private final Path script;
    private final Consumer<String> onFired;
    private Process process;
    private OutputStream in;
    private long disarmSeq;
    private long disarmed;

    /**
     * Writes the script to {@code stateDir} and starts it. {@code ipPrefix}: a prefix for {@code ip} (tests: a
     * recording wrapper; a node whose VIP device is in another namespace: {@code ip netns exec NS}). {@code onFired}
     * gets each {@code fired …} line, on the watchdog's reader thread.
     */
    public Watchdog(ProcessRunner runner, Path stateDir, Path pgData, String vipCidr, String vipDevice,
                    List<String> ipPrefix, Consumer<String> onFired) {
        this.runner = runner;
        this.onFired = onFired;
        this.script = stateDir.resolve(SCRIPT).toAbsolutePath();
        try (InputStream s = Watchdog.class.getResourceAsStream(SCRIPT)) {
            DurableFiles.privateDirectory(stateDir);
            DurableFiles.write(script, s.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + script, e);
        }
        // a session of its own: a signal to the agent's process group (a terminal's ^Z) does not stop it too
        List<String> cmd = new ArrayList<>(List.of("setsid", "bash", script.toString(),
                pgData.toAbsolutePath().toString(), vipCidr, vipDevice));
        cmd.addAll(ipPrefix);
        this.command = List.copyOf(cmd);
        stopLeftovers(stateDir);
        start();
    }

    /** The lease ends at {@code deadlineMs} ({@link System#nanoTime()} in ms). Never waits on the watchdog. */
    public synchronized void arm(long deadlineMs) {
        long left = deadlineMs - System.nanoTime() / 1_000_000;
        send(left > MAX_ARM_MS ? "disarm 0" : "arm " + Math.max(0, left));
    }

    /**
     * Nothing to guard from now on: returns once the watchdog confirmed it (so no fence of it runs any more and none
     * will), or after killing it when it does not answer within {@link #DISARM_WAIT} (started again at the next arm).
     */
    public synchronized void disarm() {
        if (process == null) {
            return;
        }
        long seq = ++disarmSeq;
        send("disarm " + seq);
        long deadline = System.nanoTime() + DISARM_WAIT.toNanos();
        try {
            while (disarmed < seq && process != null && System.nanoTime() < deadline) {
                wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (disarmed < seq && process != null) {
            LOG.severe("fence watchdog did not confirm the disarm within " + DISARM_WAIT.toMillis()
                    + " ms: killed (started again at the next arm)");
            kill();
        }
    }

    /** Power-off semantics: the watchdog goes with the agent. */
    @Override
    public synchronized void close() {
        kill();
    }

    /** The agent died (tests): stdin closes, the watchdog is left to its deadline. */
    synchronized void abandon() throws IOException {
        in.close();
        process = null;
    }

    long pid() {
        Process p = process;
        return p == null ? -1 : p.pid();
    }

    private void send(String line) {
        for (int attempt = 0; attempt < 2; attempt++) {
            if (process == null || !process.isAlive()) {
                start();
            }
            try {
                in.write((line + "\n").getBytes(StandardCharsets.US_ASCII)); // one write: the line arrives whole
                in.flush();
                return;
            } catch (IOException e) {
                LOG.severe("fence watchdog unreachable (" + e.getMessage() + "): starting it again");
                kill();
            }
        }
    }

    private void start() {
        Process p = runner.spawn(command);
        process = p;
        in = p.getOutputStream();
        Thread reader = new Thread(() -> read(p), "gk8s-watchdog-reader");
        reader.setDaemon(true);
        reader.start();
    }

    private void read(Process p) {
        try (BufferedReader r = new BufferedReader(
                new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("fired ")) {
                    LOG.warning("fence watchdog " + line);
                    onFired.accept(line);
                } else if (line.startsWith("disarmed ")) {
                    synchronized (this) {
                        disarmed = Math.max(disarmed, Long.parseLong(line.substring(9).trim()));
                        notifyAll();
                    }
                }
            }
        } catch (IOException | NumberFormatException e) {
            LOG.warning("fence watchdog output unreadable: " + e);
        }
        synchronized (this) {
            if (process == p) {
                LOG.severe("fence watchdog exited (" + p.pid() + "): started again at the next arm");
                process = null;
                notifyAll();
            }
        }
    }

    private void kill() {
        Process p = process;
        process = null;
        if (p != null) {
            ProcessRunner.killTree(p.toHandle(), Duration.ofSeconds(5));
        }
        notifyAll();
    }

    /**
     * A watchdog an earlier agent process left (the same script in {@code stateDir}) would fence what this one
     * starts: killed. Called before the agent touches PostgreSQL.
     */
    public static void stopLeftovers(Path stateDir) {
        String path = stateDir.resolve(SCRIPT).toAbsolutePath().toString();
        ProcessHandle.allProcesses()
                .filter(h -> h.info().arguments().map(a -> List.of(a).contains(path)).orElse(false))
                .forEach(h -> {
                    LOG.warning("killing the fence watchdog an earlier agent process left: " + h.pid());
                    ProcessRunner.killTree(h, Duration.ofSeconds(5));
                });
    }
}
