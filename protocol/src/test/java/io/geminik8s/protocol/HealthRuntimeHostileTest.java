package io.geminik8s.protocol;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Hostile runtime strings (review of issue 14): Health 1.3's runtime strings (a node's versions, its upgrade's from/to/error) are checked
 * for length only. A NUL is refused by PostgreSQL's jsonb (the hub stores the whole sample as jsonb in the presence
 * batch, shared with other sites: a failed batch is put back and retried); bidi overrides and line breaks reach the
 * API, the CLI's -o json and the NOC as they are. (pg.error and certs[].error have the same
 * gap from before 1.3.)
 */
class HealthRuntimeHostileTest {

    private static Health with(Health.Runtime r) {
        return new Health("1.3", "s1", "a", 1L, null, null, null, null, null, null, null, null, 1L, 1L, 1L, r);
    }

    @Test
    void aNulInAVersionIsRefused() {
        Health h = with(new Health.Runtime(Map.of("k3s", "v1.31.5\u0000"), true, null, null));
        assertTrue(h.validate().isPresent(), "a NUL in runtime.versions was accepted");
    }

    @Test
    void controlAndBidiCharactersInTheUpgradeAreRefused() {
        Health h = with(new Health.Runtime(Map.of("k3s", "v1.31.5"), true, null,
                new Health.Upgrade(2L, "failed", "v1.30.9\u202e", "v1.31.5", "ok\n\u001b[2Jupgrade.done")));
        assertTrue(h.validate().isPresent(), "control characters and a bidi override in runtime.upgrade were accepted");
    }

    @Test
    void everyStepAnAgentRecordsIsOneTheProtocolTakes() {
        for (String step : java.util.List.of("installing", "verifying", "restarting-agent", "waiting-for-standby",
                "switching-over", "rolling-back", "done", "failed")) {
            Health h = with(new Health.Runtime(Map.of("k3s", "v1.31.5"), true, null,
                    new Health.Upgrade(2L, step, "v1.31.4", "v1.31.5", null)));
            assertTrue(h.validate().isEmpty(), step + ": " + h.validate());
        }
        assertTrue(with(new Health.Runtime(Map.of("k3s", "v1.31.5"), true, null,
                new Health.Upgrade(2L, "rebooting", null, null, null))).validate().isPresent(), "an unknown step");
    }

    @Test
    void versionKeysAreComponentNames() {
        Health h = with(new Health.Runtime(Map.of("K3S ", "v1", "\u202ek3s", "v2"), true, null, null));
        assertTrue(h.validate().isPresent(), "arbitrary version keys were accepted");
    }
}
