package io.geminik8s.agent.vip;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
    private final List<String> prefix;

    /** {@code prefix}: command prefix such as {@code ip netns exec nodeA} (tests), empty on a real node. */
    public VipControl(String cidr, String device, List<String> prefix) {
        if (!cidr.matches("\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}")) {
            throw new IllegalArgumentException("VIP must look like 10.0.0.10/24, got " + cidr);
        }
        this.cidr = cidr;
        this.address = cidr.substring(0, cidr.indexOf('/'));
        this.device = device;
        this.prefix = List.copyOf(prefix);
    }

    public void acquire() {
        run(true, "ip", "addr", "replace", cidr, "dev", device);
        if (!run(false, "arping", "-U", "-c", "1", "-I", device, address)) {
            LOG.warning("gratuitous ARP for " + address + " not sent (is iputils-arping installed?)");
        }
    }

    /** Idempotent: releasing an address this node does not hold is fine. */
    public void release() {
        if (held()) {
            run(true, "ip", "addr", "del", cidr, "dev", device);
        }
    }

    public boolean held() {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of("ip", "-o", "-4", "addr", "show", "dev", device));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor(5, TimeUnit.SECONDS);
            return out.contains(" " + cidr + " ") || out.contains(" " + cidr + "\n") || out.contains("inet " + cidr);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private boolean run(boolean required, String... args) {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            boolean ok = p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0;
            if (!ok && required) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out.trim());
            }
            return ok;
        } catch (IOException e) {
            if (required) {
                throw new UncheckedIOException(e);
            }
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
