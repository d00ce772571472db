package io.geminik8s.hub.desired;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;

/**
 * A site's desired spec: its template revision's {@code spec} (without the selector and rollout defaults, which
 * are the hub's business), named by template and revision, with the site's overrides merged over it (objects
 * merge field by field; anything else replaces).
 */
public final class DesiredSpec {

    private DesiredSpec() {
    }

    public static ObjectNode compose(ObjectMapper json, String template, int revision, JsonNode templateSpec,
                                     JsonNode overrides) {
        ObjectNode spec = json.createObjectNode();
        spec.put("template", template);
        spec.put("revision", revision);
        JsonNode s = templateSpec.path("spec");
        for (Iterator<Map.Entry<String, JsonNode>> it = s.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getKey().equals("selector") && !e.getKey().equals("rollout") && !e.getValue().isNull()) {
                spec.set(e.getKey(), e.getValue().deepCopy());
            }
        }
        merge(spec, overrides);
        return spec;
    }

    private static void merge(ObjectNode into, JsonNode over) {
        if (over == null || !over.isObject()) {
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = over.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode mine = into.get(e.getKey());
            if (mine != null && mine.isObject() && e.getValue().isObject()) {
                merge((ObjectNode) mine, e.getValue());
            } else {
                into.set(e.getKey(), e.getValue().deepCopy());
            }
        }
    }
}
