package io.geminik8s.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * A {@code gk8s backup} verb on one site: its {@code --site}, one call to the hub's {@code /api/v1/sites/SITE/...}
 * and the answer printed as {@code -o} asks (the verb's table columns, JSON or YAML).
 */
abstract class BackupVerb implements Callable<Integer> {

    @ParentCommand
    BackupCommand backup;
    @Spec
    CommandSpec spec;
    @Option(names = "--site", required = true, description = "site id")
    String site;

    /** POSTs {@code body} to the site's {@code resource} and prints the answer; the exit code. */
    final int post(String resource, Map<String, String> body, List<Output.Column> columns) {
        return print(backup.root.client().post(path(resource), Map.of(), body), columns);
    }

    /** GETs the site's {@code resource} and prints it, a list one row an item; the exit code. */
    final int list(String resource, List<Output.Column> columns) {
        return print(get(resource), columns);
    }

    final JsonNode get(String resource) {
        return backup.root.client().get(path(resource), Map.of());
    }

    final int print(JsonNode answer, List<Output.Column> columns) {
        Output.print(out(), backup.root.output, answer, columns);
        return 0;
    }

    final PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /** The body {@code {name: value}}, or an empty one when the option was not given (the hub's default then). */
    static Map<String, String> field(String name, String value) {
        return value == null ? Map.of() : Map.of(name, value);
    }

    private String path(String resource) {
        return "/api/v1/sites/" + site + "/" + resource;
    }
}
