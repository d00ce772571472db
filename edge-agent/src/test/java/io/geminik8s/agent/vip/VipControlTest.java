package io.geminik8s.agent.vip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The VIP on a veth interface inside a network namespace of our own (root, iproute2): nothing leaves it, and the
 * address is in the documentation range 192.0.2.0/24, never routed anywhere.
 */
class VipControlTest {

    private final String ns = "gk8s-vip-" + ProcessHandle.current().pid();
    private final List<String> inNs = List.of("ip", "netns", "exec", ns);

    private static void sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), String.join(" ", cmd));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
    }

    @BeforeEach
    void namespace() throws Exception {
        boolean possible;
        try {
            possible = new ProcessBuilder("ip", "netns", "add", ns).start().waitFor() == 0;
        } catch (java.io.IOException e) {
            possible = false;
        }
        if (!possible && System.getenv("GK8S_REQUIRE_NETNS") != null) {
            throw new IllegalStateException("network namespaces are required here (GK8S_REQUIRE_NETNS)");
        }
        Assumptions.assumeTrue(possible, "skipped: network namespaces cannot be created here (needs root and"
                + " iproute2); .ci/run requires them");
        // veth, not dummy: the dummy module is not available in every sandbox
        sh("ip", "netns", "exec", ns, "ip", "link", "add", "vip0", "type", "veth", "peer", "name", "vip1");
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "vip0", "up");
    }

    @AfterEach
    void removeNamespace() throws Exception {
        new ProcessBuilder("ip", "netns", "del", ns).start().waitFor();
    }

    @Test
    void acquireAndReleaseAreIdempotent() {
        VipControl vip = new VipControl("192.0.2.10/24", "vip0", inNs);
        assertFalse(vip.held());
        vip.release(); // not held: fine
        vip.acquire();
        vip.acquire();
        assertTrue(vip.held());
        vip.release();
        assertFalse(vip.held());
        vip.release();
    }

    @Test
    void theGratuitousArpIsSentWithoutWaitingForItsSecondOfAnswers() throws Exception {
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "vip1", "up");
        long sentBefore = txPackets();
        VipControl vip = new VipControl("192.0.2.10/24", "vip0", inNs);
        vip.acquire();
        long returned = System.nanoTime();
        Process arping = vip.announcing();
        assertTrue(arping != null, "an arping was started");
        long exited = arping.onExit().thenApply(p -> System.nanoTime()).get(10, TimeUnit.SECONDS);
        assertTrue(returned < exited, "acquire returned before arping's second of waiting ended");
        assertEquals(0, arping.exitValue(), "arping sent it");
        assertTrue(txPackets() > sentBefore, "a frame left vip0: the gratuitous ARP");
        assertTrue(vip.held());
    }

    private long txPackets() throws Exception {
        Process p = new ProcessBuilder("ip", "netns", "exec", ns, "cat", "/sys/class/net/vip0/statistics/tx_packets")
                .start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        return Long.parseLong(out);
    }

    @Test
    void aMissingInterfaceIsAClearError() {
        VipControl vip = new VipControl("192.0.2.10/24", "nope0", inNs);
        IllegalStateException e = assertThrows(IllegalStateException.class, vip::acquire);
        assertTrue(e.getMessage().contains("nope0"), e.getMessage());
    }

    @Test
    void aMalformedAddressIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new VipControl("192.0.2.10", "vip0", inNs));
    }
}
