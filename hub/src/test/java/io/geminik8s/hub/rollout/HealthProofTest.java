package io.geminik8s.hub.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.rollout.HealthProof.NodeFacts;
import io.geminik8s.hub.rollout.HealthProof.Verdict;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What proves a site, condition by condition (the pure core; end to end: HealthProofRolloutTest). */
class HealthProofTest {

    private static final String K3S = "v1.33.0+k3s1";

    private static NodeFacts node(String id, boolean vip) {
        return new NodeFacts(id, true, 5, true, K3S, true, vip ? Boolean.TRUE : null, 5L, "done", null);
    }

    private static Verdict judge(NodeFacts a, NodeFacts b) {
        return HealthProof.judge("healthy", null, 5L, K3S, List.of(a, b));
    }

    @Test
    void bothNodesOnTheTargetWithK3sReadyAHealthySiteAndTheVipProveIt() {
        Verdict v = judge(node("a", true), node("b", false));
        assertTrue(v.proven());
        assertEquals(null, v.reason());
    }

    @Test
    void whereTheRevisionCarriesTheAgentsReleaseBothNodesMustRunIt() {
        NodeFacts a = new NodeFacts("a", true, 5, true, K3S, true, true, 5L, "done", null, "0.2.0");
        NodeFacts old = new NodeFacts("b", true, 5, true, K3S, true, null, 5L, "done", null, "0.1.0");
        NodeFacts none = new NodeFacts("b", true, 5, true, K3S, true, null, 5L, "done", null, null);
        assertEquals("node b runs agent 0.1.0, not 0.2.0",
                HealthProof.judge("healthy", null, 5L, K3S, "0.2.0", List.of(a, old)).reason());
        assertEquals("node b runs agent null, not 0.2.0",
                HealthProof.judge("healthy", null, 5L, K3S, "0.2.0", List.of(a, none)).reason());
        assertTrue(HealthProof.judge("healthy", null, 5L, K3S, "0.2.0", List.of(a,
                new NodeFacts("b", true, 5, true, K3S, true, null, 5L, "done", null, "0.2.0"))).proven());
        assertTrue(HealthProof.judge("healthy", null, 5L, K3S, null, List.of(a, old)).proven(),
                "no release in the revision: the agent's version is the package manager's");
    }

    @Test
    void eachMissingConditionSaysWhy() {
        NodeFacts a = node("a", true);
        NodeFacts b = node("b", false);
        record Case(NodeFacts a, NodeFacts b, String site, String why) {
        }
        for (Case c : List.of(
                new Case(a, new NodeFacts("b", false, 5, true, K3S, true, null, 5L, "done", null), "healthy",
                        "1 of 2 nodes online"),
                new Case(a, new NodeFacts("b", true, 4, true, K3S, true, null, 4L, "done", null), "healthy",
                        "node b has not applied generation 5"),
                new Case(a, new NodeFacts("b", true, 5, false, null, null, null, null, null, null), "healthy",
                        "node b reports no K3s version (an agent without runtime reports)"),
                new Case(a, new NodeFacts("b", true, 5, true, null, true, null, 5L, "done", null), "healthy",
                        "node b reports no K3s version"),
                new Case(a, new NodeFacts("b", true, 5, true, "v1.32.1+k3s1", true, null, 5L, "done", null),
                        "healthy", "node b runs K3s v1.32.1+k3s1, not v1.33.0+k3s1"),
                new Case(a, new NodeFacts("b", true, 5, true, K3S, false, null, 5L, "done", null), "healthy",
                        "node b reports K3s not ready"),
                new Case(a, new NodeFacts("b", true, 5, true, K3S, null, null, 5L, "done", null), "healthy",
                        "node b reports K3s readiness unknown"),
                new Case(a, b, "degraded", "site degraded: standby not streaming"),
                new Case(node("a", false), b, "healthy", "no node reports the VIP answering"),
                new Case(new NodeFacts("a", true, 5, true, K3S, true, false, 5L, "done", null), b, "healthy",
                        "no node reports the VIP answering"))) {
            Verdict v = HealthProof.judge(c.site(), c.site().equals("degraded") ? "standby not streaming" : null, 5L,
                    K3S, List.of(c.a(), c.b()));
            assertFalse(v.proven(), c.toString());
            assertFalse(v.failed(), c.toString());
            assertEquals(c.why(), v.reason());
        }
        assertEquals("1 of 2 nodes online", HealthProof.judge("degraded", null, 5L, K3S, List.of(a)).reason(),
                "a site with one node known");
    }

    @Test
    void withoutAK3sVersionInTheTemplateTheRuntimeVersionsAreNotAsked() {
        NodeFacts old = new NodeFacts("b", true, 5, false, null, null, null, null, null, null);
        assertTrue(HealthProof.judge("healthy", null, 5L, null, List.of(node("a", true), old)).proven());
        assertEquals("no node reports the VIP answering",
                HealthProof.judge("healthy", null, 5L, null, List.of(old, old)).reason(), "the VIP always counts");
    }

    @Test
    void aFailedUpgradeOfTheTargetGenerationFailsAtOnceWithTheNodesErrorCapped() {
        NodeFacts failed = new NodeFacts("b", false, 4, true, "v1.32.1+k3s1", true, null, 5L, "failed",
                "e".repeat(10_000));
        Verdict v = judge(node("a", true), failed);
        assertTrue(v.failed());
        assertFalse(v.proven());
        assertTrue(v.reason().startsWith("node b failed the upgrade to generation 5: eee"), v.reason());
        assertEquals(HealthProof.MAX_REASON, v.reason().length());
        NodeFacts earlier = new NodeFacts("b", true, 5, true, K3S, true, null, 4L, "failed", "old news");
        assertTrue(judge(node("a", true), earlier).proven(), "a failure of an older generation is history");
    }
}
