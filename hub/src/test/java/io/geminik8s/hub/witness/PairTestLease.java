package io.geminik8s.hub.witness;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * The witness's timing for every test that runs a real pair (two agents with PostgreSQL, in this JVM or as
 * processes of their own): lease 6 s, margin 2 s, closer to production's than the 1.5 s of the test profile. The
 * pair tests share the machine with the rest of the build; with a 1.5 s lease a primary starved for a moment (a
 * backup, a restore, PostgreSQL restarting, a cold JVM) missed its renewal, fenced and rejoined in the middle of a
 * test, and its deadlines passed (CI runs of 2026-11-30: RestorePairTest, BackupFailoverPairTest,
 * ScheduledRestoreTestPairTest). {@link PairNodes} gives its agents the same lease.
 */
public final class PairTestLease implements QuarkusTestProfile {

    public static final String LEASE_MS = "6000";
    public static final String MARGIN_MS = "2000";
    /** The peer link's silence before a node acts on it (agent side; below the lease, as HaTiming requires). */
    public static final String PEER_SILENCE_MS = "1500";

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("gk8s.witness.lease", LEASE_MS + "ms", "gk8s.witness.margin", MARGIN_MS + "ms");
    }
}
