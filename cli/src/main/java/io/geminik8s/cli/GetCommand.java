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
@Command(name = "get", description = "List sites, templates, rollouts or enrollments.")
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

    @Option(names = "--status", description = "sites: healthy, degraded, split or offline; rollouts: a phase")
    String status;

    @Override
    public Integer call() {
        HubClient hub = root.client();
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
        Output.print(spec.commandLine().getOut(), root.output, rows, cols);
        return 0;
    }
}
