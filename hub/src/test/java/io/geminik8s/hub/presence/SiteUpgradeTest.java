package io.geminik8s.hub.presence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.geminik8s.hub.presence.SiteUpgrade.NodeStep;
import io.geminik8s.hub.presence.SiteUpgrade.View;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The site's step from both nodes' reports, through a whole pair-aware upgrade (standby b first). */
class SiteUpgradeTest {

    private static final List<String> PAIR = List.of("a", "b");

    private static View site(NodeStep... steps) {
        return SiteUpgrade.derive(List.of(steps), PAIR);
    }

    private static NodeStep a(long gen, String step) {
        return new NodeStep("a", gen, step, null);
    }

    private static NodeStep b(long gen, String step) {
        return new NodeStep("b", gen, step, null);
    }

    @Test
    void theStepsOfAPairAwareUpgrade() {
        assertNull(site(), "no upgrade ever reported");
        assertEquals(new View(7, "upgrading standby", "b", null), site(a(6, "done"), b(7, "installing")));
        assertEquals(new View(7, "upgrading standby", "b", null),
                site(a(7, "waiting-for-standby"), b(7, "verifying")));
        assertEquals(new View(7, "waiting for standby", "a", null), site(a(7, "waiting-for-standby"), b(7, "done")));
        assertEquals(new View(7, "switching over", "a", null), site(a(7, "switching-over"), b(7, "done")));
        assertEquals(new View(7, "upgrading former primary", "a", null), site(a(7, "installing"), b(7, "done")));
        assertEquals(new View(7, "upgrading standby", "b", null), site(a(7, "waiting-for-standby"),
                b(7, "restarting-agent")), "the standby's agent on trial in its new version");
        assertEquals(new View(7, "done", null, null), site(a(7, "done"), b(7, "done")));
        assertEquals(new View(7, "waiting for former primary", "a", null), site(a(6, "done"), b(7, "done")));
        assertEquals(new View(7, "rolling back", "b", null), site(a(7, "waiting-for-standby"), b(7, "rolling-back")));
    }

    @Test
    void aFailureWinsAndItsErrorIsCapped() {
        View v = site(a(7, "waiting-for-standby"), new NodeStep("b", 7, "failed", "x".repeat(5000)));
        assertEquals("failed", v.step());
        assertEquals("b", v.node());
        assertEquals(SiteUpgrade.MAX_ERROR, v.error().length());
        assertEquals(new View(8, "upgrading standby", "b", null), site(a(8, "waiting-for-standby"),
                b(8, "installing")), "a newer generation supersedes an older failure");
        assertEquals(new View(8, "upgrading standby", "b", null), SiteUpgrade.derive(List.of(
                new NodeStep("a", 7, "failed", "old"), b(8, "installing")), PAIR));
    }
}
