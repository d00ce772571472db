package io.geminik8s.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code gk8s describe site|template|rollout NAME}: everything about one thing (YAML unless -o json). */
@Command(name = "describe", description = "Show one site (with nodes and desired state), template or rollout.")
final class DescribeCommand implements Callable<Integer> {

    enum Kind { site, template, rollout }

    @ParentCommand
    Gk8s root;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", description = "site, template or rollout")
    Kind kind;

    @Parameters(index = "1", description = "its id or name")
    String name;

    @Override
    public Integer call() {
        HubClient hub = root.client();
        JsonNode value = switch (kind) {
            case site -> {
                var node = (com.fasterxml.jackson.databind.node.ObjectNode) hub.get("/api/v1/sites/" + name, Map.of());
                node.set("desired", hub.get("/api/v1/sites/" + name + "/desired", Map.of()));
                node.set("recentEvents", hub.get("/api/v1/sites/" + name + "/events", Map.of("limit", "10")));
                yield node;
            }
            case template -> hub.get("/api/v1/templates/" + name + "/revisions", Map.of());
            case rollout -> {
                var node = (com.fasterxml.jackson.databind.node.ObjectNode) hub.get("/api/v1/rollouts/" + name,
                        Map.of());
                node.set("audit", hub.get("/api/v1/rollouts/" + name + "/audit", Map.of()));
                yield node;
            }
        };
        PrintWriter out = spec.commandLine().getOut();
        Output.print(out, root.output == Output.Format.table ? Output.Format.yaml : root.output, value, null);
        return 0;
    }
}
