package io.geminik8s.hub.presence;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A site's step in its in-site upgrade, derived from what both nodes report in {@code runtime.upgrade} (pure;
 * docs/api.md). The pair upgrades its standby first (installing, verifying, done), the primary waits for it, switches
 * over through the witness, then upgrades as the new standby. Only the newest generation any node reports counts.
 */
public final class SiteUpgrade {

    /** At most this many characters of a node's error are shown. */
    static final int MAX_ERROR = 256;

    /** The site's step: one of "upgrading standby", "waiting for standby", "switching over", "upgrading former
     * primary", "rolling back", "waiting for former primary", "done", "failed"; {@code node}: the node it is about. */
    public record View(long generation, String step, String node, String error) {
    }

    /** One node's {@code runtime.upgrade}, as reported. */
    record NodeStep(String node, long generation, String step, String error) {
    }

    private SiteUpgrade() {
    }

    /** From each node's stored health sample (null for a node without one). */
    static View fromHealth(List<String> nodes, List<JsonNode> health) {
        List<NodeStep> steps = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            JsonNode u = health.get(i) == null ? null : health.get(i).path("runtime").path("upgrade");
            nodeStep(nodes.get(i), u).ifPresent(steps::add);
        }
        return derive(steps, nodes);
    }

    /** From {@code [{"node": …, "upgrade": {…} | null}, …]} (the site list's query). */
    static View fromArray(JsonNode nodes) {
        List<String> names = new ArrayList<>();
        List<NodeStep> steps = new ArrayList<>();
        for (JsonNode n : nodes == null ? List.<JsonNode>of() : (Iterable<JsonNode>) nodes::elements) {
            names.add(n.path("node").asText());
            nodeStep(n.path("node").asText(), n.get("upgrade")).ifPresent(steps::add);
        }
        return derive(steps, names);
    }

    static Optional<NodeStep> nodeStep(String node, JsonNode u) {
        if (u == null || !u.path("generation").canConvertToLong() || !u.path("step").isTextual()) {
            return Optional.empty();
        }
        JsonNode e = u.path("error");
        return Optional.of(new NodeStep(node, u.path("generation").asLong(), u.path("step").asText(),
                e.isTextual() ? e.asText() : null));
    }

    /** {@code nodes}: the site's nodes, reporting or not. Null when no node reports an upgrade. */
    static View derive(List<NodeStep> reported, List<String> nodes) {
        long gen = reported.stream().mapToLong(NodeStep::generation).max().orElse(-1);
        if (gen < 0) {
            return null;
        }
        List<NodeStep> now = reported.stream().filter(s -> s.generation() == gen).toList();
        Optional<NodeStep> failed = first(now, "failed");
        if (failed.isPresent()) {
            return new View(gen, "failed", failed.get().node(), cap(failed.get().error()));
        }
        Optional<NodeStep> s = first(now, "rolling-back");
        if (s.isPresent()) {
            return new View(gen, "rolling back", s.get().node(), null);
        }
        if ((s = first(now, "switching-over")).isPresent()) {
            return new View(gen, "switching over", s.get().node(), null);
        }
        Optional<NodeStep> installing = first(now, "installing").or(() -> first(now, "verifying"))
                .or(() -> first(now, "restarting-agent"));
        if (installing.isPresent()) {
            boolean peerDone = now.stream().anyMatch(n -> n != installing.get() && "done".equals(n.step()));
            return new View(gen, peerDone ? "upgrading former primary" : "upgrading standby",
                    installing.get().node(), null);
        }
        if ((s = first(now, "waiting-for-standby")).isPresent()) {
            return new View(gen, "waiting for standby", s.get().node(), null);
        }
        long done = now.stream().filter(n -> "done".equals(n.step())).count();
        if (done >= Math.max(2, nodes.size())) {
            return new View(gen, "done", null, null);
        }
        // one node done, the other silent about this generation (not started, or an agent without upgrade reports)
        String other = nodes.stream().filter(n -> now.stream().noneMatch(d -> d.node().equals(n))).findFirst()
                .orElse(null);
        return new View(gen, "waiting for former primary", other, null);
    }

    private static Optional<NodeStep> first(List<NodeStep> steps, String step) {
        return steps.stream().filter(n -> step.equals(n.step())).findFirst();
    }

    static String cap(String s) {
        return s == null || s.length() <= MAX_ERROR ? s : s.substring(0, MAX_ERROR - 1) + "…";
    }
}
