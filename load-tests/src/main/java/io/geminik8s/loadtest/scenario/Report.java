package io.geminik8s.loadtest.scenario;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A scenario's results: a flat JSON object (so runs can be compared by a script; the keys of issue 5 at least) plus
 * a timeline, and the same as Markdown with the machine, the JVM flags and the command.
 */
public final class Report {

    private final Map<String, Object> values = new LinkedHashMap<>();
    private final List<Map<String, Object>> timeline = new java.util.ArrayList<>();

    public Report put(String key, Object value) {
        values.put(key, value);
        return this;
    }

    public Object get(String key) {
        return values.get(key);
    }

    /** Records one of the scenario's own checks; a report with a failed check makes the runner exit non-zero. */
    public Report check(String name, boolean passed) {
        @SuppressWarnings("unchecked")
        List<String> failed = (List<String>) values.computeIfAbsent("checks_failed", k -> new java.util.ArrayList<>());
        if (!passed) {
            failed.add(name);
        }
        return this;
    }

    /** The names of the checks that failed. */
    @SuppressWarnings("unchecked")
    public List<String> failedChecks() {
        return (List<String>) values.getOrDefault("checks_failed", List.of());
    }

    public void sample(Map<String, Object> point) {
        timeline.add(point);
    }

    /** Writes {@code <dir>/<name>.json}, {@code .md} and a {@code .png} of the timeline; returns the JSON path. */
    public Path write(Path dir, String name, String command) throws IOException {
        Files.createDirectories(dir);
        Map<String, Object> all = new LinkedHashMap<>(values);
        all.put("timeline", timeline);
        Path jsonFile = dir.resolve(name + ".json");
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(jsonFile.toFile(), all);
        StringBuilder md = new StringBuilder("# Load test: ").append(values.get("scenario")).append("\n\n")
                .append("Command: `").append(command).append("`  \n")
                .append("Machine: ").append(Runtime.getRuntime().availableProcessors()).append(" cores, Java ")
                .append(System.getProperty("java.version")).append("; hub JVM flags: `").append(values.get("hub_jvm_flags"))
                .append("`\n\n| metric | value |\n|---|---|\n");
        values.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        if (!timeline.isEmpty()) {
            md.append("\n## Timeline\n\n| ").append(String.join(" | ", timeline.get(0).keySet())).append(" |\n|")
                    .append("---|".repeat(timeline.get(0).size())).append("\n");
            for (Map<String, Object> p : timeline) {
                md.append("| ").append(String.join(" | ", p.values().stream().map(String::valueOf).toList()))
                        .append(" |\n");
            }
        }
        if (!timeline.isEmpty()) {
            Plots.write(timeline, values.get("scenario") + " — " + values.get("agents") + " agents",
                    dir.resolve(name + ".png"));
            md.append("\n![timeline](").append(name).append(".png)\n");
        }
        Files.writeString(dir.resolve(name + ".md"), md);
        return jsonFile;
    }
}
