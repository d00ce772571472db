package io.geminik8s.loadtest.measure;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Values from the hub's Prometheus endpoint ({@code /q/metrics}). */
public final class HubMetrics {

    private HubMetrics() {
    }

    /** The sum of all series of {@code name} whose labels contain {@code labelFilter} (may be empty); -1 if none. */
    public static double value(HubProcess hub, String name, String labelFilter) throws InterruptedException {
        var r = hub.get("/q/metrics");
        if (r.statusCode() != 200) {
            return -1;
        }
        Matcher m = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*})?\\s+(\\S+)$", Pattern.MULTILINE)
                .matcher(r.body());
        double sum = 0;
        boolean found = false;
        while (m.find()) {
            String labels = m.group(1) == null ? "" : m.group(1);
            if (labels.contains(labelFilter)) {
                sum += Double.parseDouble(m.group(2));
                found = true;
            }
        }
        return found ? sum : -1;
    }
}
