package io.geminik8s.hub.rollout;

import java.util.List;

/**
 * What proves that a site runs a template revision, judged from what its nodes report now (pure; docs/rollouts.md,
 * "What proves a site"): both nodes online and on the target generation; where the revision names a K3s version,
 * both report it in their {@code runtime.versions} (read from K3s itself; a node reporting none proves nothing) and
 * K3s ready; where the revision carries the agent's release, both report that agent version; the site {@code healthy}
 * (one primary, a streaming standby); and one node reporting the VIP answering.
 * A node reporting {@code upgrade.step = failed} for the target generation fails the site at once.
 */
public final class HealthProof {

    /** At most this many characters of a node's error go into a rollout's per-site reason. */
    static final int MAX_REASON = 256;

    private HealthProof() {
    }

    /**
     * One node's report; {@code hasRuntime}: its newest sample has a {@code runtime} section (agents of protocol 1.3
     * and newer); the runtime fields are null where absent.
     */
    public record NodeFacts(String node, boolean online, long applied, boolean hasRuntime, String k3s,
                            Boolean k3sReady, Boolean vipAnswers, Long upgradeGeneration, String upgradeStep,
                            String upgradeError, String agent) {
        public NodeFacts(String node, boolean online, long applied, boolean hasRuntime, String k3s,
                         Boolean k3sReady, Boolean vipAnswers, Long upgradeGeneration, String upgradeStep,
                         String upgradeError) {
            this(node, online, applied, hasRuntime, k3s, k3sReady, vipAnswers, upgradeGeneration, upgradeStep,
                    upgradeError, null);
        }
    }

    /** {@code proven}: every condition holds now; {@code failed}: the site cannot get there; else why not yet. */
    public record Verdict(boolean proven, boolean failed, String reason) {
    }

    public static Verdict judge(String siteStatus, String statusReason, Long targetGeneration, String k3s,
                                List<NodeFacts> nodes) {
        return judge(siteStatus, statusReason, targetGeneration, k3s, null, nodes);
    }

    /** {@code agent}: the agent version the revision updates the agents to (its release is in it), or null. */
    public static Verdict judge(String siteStatus, String statusReason, Long targetGeneration, String k3s,
                                String agent, List<NodeFacts> nodes) {
        for (NodeFacts n : nodes) {
            if (targetGeneration != null && targetGeneration.equals(n.upgradeGeneration())
                    && "failed".equals(n.upgradeStep())) {
                return new Verdict(false, true, cap("node " + n.node() + " failed the upgrade to generation "
                        + targetGeneration + (n.upgradeError() == null ? "" : ": " + n.upgradeError())));
            }
        }
        long up = nodes.stream().filter(NodeFacts::online).count();
        if (up < 2) {
            return notYet(up + " of " + Math.max(2, nodes.size()) + " nodes online");
        }
        if (targetGeneration == null) {
            return notYet("not started");
        }
        for (NodeFacts n : nodes) {
            if (n.applied() < targetGeneration) {
                return notYet("node " + n.node() + " has not applied generation " + targetGeneration);
            }
        }
        if (k3s != null) {
            for (NodeFacts n : nodes) {
                if (n.k3s() == null) {
                    return notYet("node " + n.node() + " reports no K3s version"
                            + (n.hasRuntime() ? "" : " (an agent without runtime reports)"));
                }
                if (!k3s.equals(n.k3s())) {
                    return notYet(cap("node " + n.node() + " runs K3s " + n.k3s() + ", not " + k3s));
                }
                if (!Boolean.TRUE.equals(n.k3sReady())) {
                    return notYet("node " + n.node() + " reports K3s " + (n.k3sReady() == null ? "readiness unknown"
                            : "not ready"));
                }
            }
        }
        if (agent != null) {
            for (NodeFacts n : nodes) {
                if (!agent.equals(n.agent())) {
                    return notYet(cap("node " + n.node() + " runs agent " + n.agent() + ", not " + agent));
                }
            }
        }
        if (!"healthy".equals(siteStatus)) {
            return notYet(cap("site " + siteStatus + (statusReason == null ? "" : ": " + statusReason)));
        }
        if (nodes.stream().noneMatch(n -> Boolean.TRUE.equals(n.vipAnswers()))) {
            return notYet("no node reports the VIP answering");
        }
        return new Verdict(true, false, null);
    }

    private static Verdict notYet(String reason) {
        return new Verdict(false, false, reason);
    }

    static String cap(String s) {
        return s.length() <= MAX_REASON ? s : s.substring(0, MAX_REASON - 1) + "…";
    }
}
