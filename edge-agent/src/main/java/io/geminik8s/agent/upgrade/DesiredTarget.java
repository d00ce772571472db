package io.geminik8s.agent.upgrade;

import com.fasterxml.jackson.databind.JsonNode;
import io.geminik8s.protocol.Artifact;
import io.geminik8s.protocol.Codec;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What a desired state's spec asks of the node's upgrade, read without I/O. */
final class DesiredTarget {

    private static final Pattern MINOR = Pattern.compile("v(\\d+)\\.(\\d+)\\.");

    private DesiredTarget() {
    }

    /** The K3s version the spec names ({@code versions.k3s}), or null. */
    static String k3sVersion(JsonNode spec) {
        JsonNode n = spec.path("versions").path("k3s");
        return n.isTextual() && !n.asText().isBlank() ? n.asText() : null;
    }

    /** The agent version the spec names ({@code versions.agent}), or null. */
    static String agentVersion(JsonNode spec) {
        JsonNode n = spec.path("versions").path("agent");
        return n.isTextual() && !n.asText().isBlank() ? n.asText() : null;
    }

    /**
     * The spec's PostgreSQL settings ({@code postgres.settings}), as text; with {@code backup}, also
     * {@code archive_mode = on}, which only a restart turns on: taken pair-aware like any such setting (the backup
     * loop then sets the archive command, which a reload takes; docs/backup.md).
     */
    static Map<String, String> settings(JsonNode spec) {
        Map<String, String> out = new TreeMap<>();
        spec.path("postgres").path("settings").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        if (spec.path("backup").isObject()) {
            out.put("archive_mode", "on");
        }
        return out;
    }

    /** The names set, changed or no longer set from {@code applied} to {@code want}. */
    static Set<String> changedNames(Map<String, String> want, Map<String, String> applied) {
        Set<String> names = new TreeSet<>();
        want.forEach((k, v) -> {
            if (!v.equals(applied.get(k))) {
                names.add(k);
            }
        });
        applied.keySet().stream().filter(k -> !want.containsKey(k)).forEach(names::add);
        return names;
    }

    /** The spec's artifact {@code name} of {@code version}, or null (none, or unreadable). */
    static Artifact artifact(Codec json, JsonNode spec, String name, String version) {
        for (JsonNode a : spec.path("artifacts")) {
            if (name.equals(a.path("name").asText()) && version.equals(a.path("version").asText())) {
                try {
                    return json.bind(a, Artifact.class);
                } catch (IllegalArgumentException e) {
                    return null;
                }
            }
        }
        return null;
    }

    /** Why {@code from → to} is refused (a lower minor: K3s does not support it), or null. */
    static String minorDowngrade(String from, String to) {
        Matcher a = from == null ? null : MINOR.matcher(from);
        Matcher b = MINOR.matcher(to);
        if (a == null || !a.lookingAt() || !b.lookingAt()) {
            return null;
        }
        int major = Integer.compare(Integer.parseInt(b.group(1)), Integer.parseInt(a.group(1)));
        boolean lower = major < 0 || (major == 0 && Integer.parseInt(b.group(2)) < Integer.parseInt(a.group(2)));
        return lower ? "K3s " + from + " to " + to + " is a minor downgrade, which K3s does not support: nothing"
                + " installed (recover by hand: docs/upgrades.md)" : null;
    }
}
