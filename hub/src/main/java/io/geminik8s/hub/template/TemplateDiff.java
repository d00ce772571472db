package io.geminik8s.hub.template;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;

/** Field-level differences between two template revisions, as paths with the old and new values. */
public final class TemplateDiff {

    /** {@code from}/{@code to} are null where the field is absent. */
    public record Change(String path, JsonNode from, JsonNode to) {
    }

    private TemplateDiff() {
    }

    public static List<Change> between(JsonNode a, JsonNode b) {
        List<Change> out = new ArrayList<>();
        walk("", a, b, out);
        return out;
    }

    private static void walk(String path, JsonNode a, JsonNode b, List<Change> out) {
        boolean aMissing = a == null || a.isNull() || a.isMissingNode();
        boolean bMissing = b == null || b.isNull() || b.isMissingNode();
        if (aMissing && bMissing) {
            return;
        }
        if (!aMissing && !bMissing && a.isObject() && b.isObject()) {
            TreeSet<String> names = new TreeSet<>();
            a.fieldNames().forEachRemaining(names::add);
            for (Iterator<String> it = b.fieldNames(); it.hasNext(); ) {
                names.add(it.next());
            }
            for (String n : names) {
                walk(path.isEmpty() ? n : path + "." + n, a.get(n), b.get(n), out);
            }
        } else if (aMissing || bMissing || !a.equals(b)) {
            out.add(new Change(path, aMissing ? null : a, bMissing ? null : b));
        }
    }
}
