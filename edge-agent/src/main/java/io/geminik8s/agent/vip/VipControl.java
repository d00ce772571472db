package io.geminik8s.agent.vip;

import io.geminik8s.agent.proc.ProcessRunner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * The site's virtual IP, managed by the agent itself (not keepalived): only the epoch holder adds it, everyone
 * else removes it. keepalived on its own elects two MASTERs on a partition and leaves the address behind when it is
 * killed (stack.md, acassen/keepalived#2649); driven by our lease it would only add a second state machine whose
 * track-script interval (≥ 1 s) is slower than ours. Adding is {@code ip addr replace} (idempotent) plus one
 * gratuitous ARP so switches and neighbours learn the new owner at once (measured in stack.md: 6 ms move).
 */
public final class VipControl {

    private static final Logger LOG = Logger.getLogger(VipControl.class.getName());

    private final String cidr;
    private final String address;
    private final String device;
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final List<String> prefix;
    private final ProcessRunner runner;

    /** {@code prefix}: command prefix such as {@code ip netns exec nodeA} (tests), empty on a real node. */
    public VipControl(String cidr, String device, List<String> prefix) {
        this(cidr, device, prefix, new ProcessRunner());
    }

    private volatile Process announcing;

    public VipControl(String cidr, String device, List<String> prefix, ProcessRunner runner) {
        if (!cidr.matches("\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}")) {
            throw new IllegalArgumentException("VIP must look like 10.0.0.10/24, got " + cidr);
        }
        this.cidr = cidr;
        this.address = cidr.substring(0, cidr.indexOf('/'));
        this.device = device;
        this.prefix = List.copyOf(prefix);
        this.runner = runner;
    }

    public void acquire() {
        run(true, "ip", "addr", "replace", cidr, "dev", device);
        announce();
    }

    /**
     * The gratuitous ARP, not waited for: arping sends it at once, then waits a second for answers an unsolicited
     * ARP never gets — a second the HA loop (a promotion, an unfence) would otherwise spend blocked, its lease
     * running. The process is reaped when it exits; a failure is logged.
     */
    private void announce() {
        try {
            Process p = runner.spawn(command("arping", "-U", "-c", "1", "-I", device, address));
            announcing = p;
            p.getOutputStream().close();
            p.onExit().thenAccept(done -> {
                try (var out = done.getInputStream()) {
                    out.transferTo(java.io.OutputStream.nullOutputStream());
                } catch (java.io.IOException e) {
                    // nothing more to read
                }
                if (done.exitValue() != 0) {
                    LOG.warning("gratuitous ARP for " + address + " not sent: arping exit " + done.exitValue());
                }
            });
        } catch (IllegalStateException | java.io.IOException e) {
            LOG.warning("gratuitous ARP for " + address + " not sent (is iputils-arping installed?): "
                    + e.getMessage());
        }
    }

    /** The last gratuitous ARP's process (tests). */
    Process announcing() {
        return announcing;
    }

    /**
     * Idempotent: releasing an address this node does not hold is fine. When the address cannot be listed, it is
     * deleted anyway (a fence must not skip the release because {@code ip addr show} failed).
     */
    public void release() {
        boolean held;
        try {
            held = held();
        } catch (IllegalStateException e) {
            LOG.warning(e.getMessage() + ": deleting " + cidr + " anyway");
            held = true;
        }
        if (held) {
            run(true, "ip", "addr", "del", cidr, "dev", device);
        }
    }

    /** @throws IllegalStateException when the addresses of the device cannot be listed */
    public boolean held() {
        ProcessRunner.Result r = runner.run(TIMEOUT, command("ip", "-o", "-4", "addr", "show", "dev", device));
        if (!r.ok()) {
            throw new IllegalStateException("cannot tell whether " + cidr + " is held: " + r.describe());
        }
        String out = r.stdout();
        return out.contains(" " + cidr + " ") || out.contains(" " + cidr + "\n") || out.contains("inet " + cidr);
    }

    private boolean run(boolean required, String... args) {
        ProcessRunner.Result r = runner.run(TIMEOUT, command(args));
        if (!r.ok() && required) {
            throw new IllegalStateException(r.describe());
        }
        return r.ok();
    }

    private List<String> command(String... args) {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(args));
        return cmd;
    }
}
