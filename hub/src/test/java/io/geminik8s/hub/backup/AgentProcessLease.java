package io.geminik8s.hub.backup;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * The witness's lease for agents that run as processes of their own (a JVM each, started cold, on a machine shared
 * with other builds): 6 s, margin 2 s — closer to production's than the 1.5 s the in-JVM pair tests use, which a cold
 * agent restarting PostgreSQL alone under load does not renew in time (it fences, unfences and fences again).
 */
public final class AgentProcessLease implements QuarkusTestProfile {

    static final String LEASE_MS = "6000";

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("gk8s.witness.lease", LEASE_MS + "ms", "gk8s.witness.margin", "2000ms");
    }
}
