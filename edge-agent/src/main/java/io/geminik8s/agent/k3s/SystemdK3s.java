package io.geminik8s.agent.k3s;

import io.geminik8s.agent.proc.ProcessRunner;
import java.time.Duration;
import java.util.List;
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
    private final ProcessRunner runner;
    /** Whether HA wants K3s running (null: HA has not said; then whether systemd runs it): a rotation restarts it only then. */
    private volatile Boolean wanted;

    /** {@code sql} runs a statement on the local PostgreSQL (Kine's database). */
    public SystemdK3s(String unit, Consumer<String> sql, ProcessRunner runner) {
        this.unit = unit;
        this.sql = sql;
        this.runner = runner;
    }

    @Override
    public void stop() {
        wanted = false;
        systemctl("stop");
    }

    @Override
    public void start() {
        wanted = true;
        systemctl("start");
    }

    /** {@code systemctl stop}, {@code k3s certificate rotate}, {@code systemctl start} if HA still wants it. */
    @Override
    public String rotateCertificates() {
        boolean running = runner.run(Duration.ofSeconds(10), List.of("systemctl", "is-active", "--quiet", unit)).ok();
        systemctl("stop");
        ProcessRunner.Result r = runner.run(Duration.ofMinutes(2), List.of("k3s", "certificate", "rotate"));
        Boolean w = wanted;
        if (w == null ? running : w) {
            systemctl("start");
            if (Boolean.FALSE.equals(wanted)) { // HA stopped it while this start ran: HA's stop wins
                systemctl("stop");
            }
        }
        r.orThrow();
        return "K3s certificates rotated";
    }

    @Override
    public void restart() {
        systemctl("restart");
    }

    /** {@code systemctl try-restart}: restarts the unit only if it runs (a fenced node's stays stopped). */
    @Override
    public void restartIfWanted() {
        if (!Boolean.FALSE.equals(wanted)) {
            systemctl("try-restart");
        }
    }

    @Override
    public void bumpKineIdSequence() {
        sql.accept(BUMP_KINE_IDS);
    }

    private void systemctl(String verb) {
        ProcessRunner.Result r = runner.run(Duration.ofSeconds(60), List.of("systemctl", verb, unit));
        if (!r.ok()) {
            LOG.warning(r.describe());
        }
    }
}
