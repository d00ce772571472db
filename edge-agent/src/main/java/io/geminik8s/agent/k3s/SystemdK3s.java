package io.geminik8s.agent.k3s;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * K3s run by systemd (the k3s install script's unit, named {@code k3s}). Not verified on the project's build
 * machines: there is neither systemd as PID 1 nor K3s there; the harness uses a stand-in process instead.
 */
public final class SystemdK3s implements K3sDriver {

    private static final Logger LOG = Logger.getLogger(SystemdK3s.class.getName());

    private final String unit;
    private final Consumer<String> sql;

    /** {@code sql} runs a statement on the local PostgreSQL (Kine's database). */
    public SystemdK3s(String unit, Consumer<String> sql) {
        this.unit = unit;
        this.sql = sql;
    }

    @Override
    public void stop() {
        systemctl("stop");
    }

    @Override
    public void start() {
        systemctl("start");
    }

    @Override
    public void restart() {
        systemctl("restart");
    }

    @Override
    public void bumpKineIdSequence() {
        sql.accept(BUMP_KINE_IDS);
    }

    private void systemctl(String verb) {
        try {
            Process p = new ProcessBuilder("systemctl", verb, unit).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                LOG.warning("systemctl " + verb + " " + unit + " failed: " + out.trim());
            }
        } catch (IOException e) {
            LOG.warning("systemctl " + verb + " " + unit + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
