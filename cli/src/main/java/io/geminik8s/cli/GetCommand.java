package io.geminik8s.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code gk8s get sites|templates|rollouts|enrollments}. */
@Command(name = "get", description = "List sites, templates, rollouts or enrollments; -w follows changes.")
final class GetCommand implements Callable<Integer> {

    enum Kind { sites, templates, rollouts, enrollments }

    @ParentCommand
    Gk8s root;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", description = "sites, templates, rollouts or enrollments")
    Kind kind;

    @Option(names = {"-l", "--selector"}, description = "sites: key=value labels, comma separated")
    String selector;

    @Option(names = "--site", description = "enrollments: of this site only")
    String site;

    @Option(names = "--status", description = "sites: healthy, degraded, split, offline or pending; rollouts: a phase")
    String status;

    @Option(names = {"-w", "--watch"}, description = "after the list, print each item again whenever it changes"
            + " (a table line, a JSON line or a YAML document), until interrupted or --watch-for has passed")
    boolean watch;

    @Option(names = "--watch-for", description = "with -w: stop after this long (ISO-8601, e.g. PT10M)")
    java.time.Duration watchFor;

    @Option(names = "--interval-ms", defaultValue = "2000", description = "with -w: how often to ask the hub")
    long intervalMs;

    /** The rows, their columns, and the fields that name an item (a watch reprints an item when it changed). */
    private record Listing(JsonNode rows, List<Output.Column> cols, List<String> key) {
    }

    @Override
    public Integer call() throws InterruptedException {
        HubClient hub = root.client();
        Listing first = list(hub);
        java.io.PrintWriter out = spec.commandLine().getOut();
        Output.print(out, root.output, first.rows(), first.cols());
        if (!watch) {
            return 0;
        }
        int[] width = Output.widths(first.rows(), first.cols());
        Map<String, String> seen = new java.util.HashMap<>();
        first.rows().forEach(r -> seen.put(key(r, first.key()), r.toString()));
        long end = watchFor == null ? Long.MAX_VALUE : System.nanoTime() + watchFor.toNanos();
        while (System.nanoTime() < end) {
            Thread.sleep(Math.max(100, Math.min(intervalMs, (end - System.nanoTime()) / 1_000_000 + 1)));
            Listing now = list(hub);
            for (JsonNode r : now.rows()) {
                if (!r.toString().equals(seen.put(key(r, now.key()), r.toString()))) {
                    Output.change(out, root.output, r, now.cols(), width);
                }
            }
        }
        return 0;
    }

    private static String key(JsonNode row, List<String> pointers) {
        StringBuilder b = new StringBuilder();
        pointers.forEach(p -> b.append(row.at(p).asText()).append('\u0000'));
        return b.toString();
    }

    private Listing list(HubClient hub) {
        Map<String, String> q = new LinkedHashMap<>();
        JsonNode rows;
        List<Output.Column> cols;
        switch (kind) {
            case sites -> {
                String query = selector == null ? "" : "&label=" + String.join("&label=", selector.split(","));
                rows = hub.get("/api/v1/sites?size=500" + (status == null ? "" : "&status=" + status) + query,
                        Map.of()).path("items");
                cols = List.of(new Output.Column("SITE", "/id"), new Output.Column("STATUS", "/status"),
                        new Output.Column("NODES", "/nodesOnline"), new Output.Column("REASON", "/statusReason"),
                        new Output.Column("UPGRADE", "/upgrade/step"), new Output.Column("ON", "/upgrade/node"),
                        new Output.Column("LABELS", "/labels"));
            }
            case templates -> {
                rows = hub.get("/api/v1/templates", Map.of());
                cols = List.of(new Output.Column("TEMPLATE", "/name"), new Output.Column("REVISION", "/revision"),
                        new Output.Column("SOURCE", "/source"), new Output.Column("BY", "/createdBy"),
                        new Output.Column("CREATED", "/createdAt"));
            }
            case enrollments -> {
                q.put("site", site);
                rows = hub.get("/api/v1/enrollments", q);
                cols = List.of(new Output.Column("SITE", "/site"), new Output.Column("NODE", "/node"),
                        new Output.Column("SERIAL", "/serial"), new Output.Column("NOT AFTER", "/notAfter"),
                        new Output.Column("REVOKED", "/revokedAt"), new Output.Column("HARDWARE", "/hardwareId"));
            }
            default -> {
                q.put("phase", status);
                rows = hub.get("/api/v1/rollouts", q);
                cols = RolloutCommand.COLUMNS;
            }
        }
        return new Listing(rows, cols, switch (kind) {
            case sites, rollouts -> List.of("/id");
            case templates -> List.of("/name", "/revision");
            case enrollments -> List.of("/serial");
        });
    }
}
