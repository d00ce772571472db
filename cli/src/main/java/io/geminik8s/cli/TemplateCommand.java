package io.geminik8s.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code gk8s template apply -f FILE}: adds a template, or its next revision (docs/rollouts.md). */
@Command(name = "template", description = "Site templates: add one, or a new revision of one.",
        subcommands = {TemplateCommand.Apply.class})
final class TemplateCommand {

    @ParentCommand
    Gk8s root;

    @Command(name = "apply", description = "Add the template in FILE as its next revision (unchanged content adds"
            + " nothing); the hub checks it and the change from the latest revision, and names every problem.")
    static final class Apply implements Callable<Integer> {
        @ParentCommand
        TemplateCommand template;
        @Spec
        CommandSpec spec;
        @Option(names = {"-f", "--file"}, required = true, description = "the template (YAML), e.g."
                + " fleet-templates/examples/store-standard-k3s-1.31.5.yaml")
        Path file;

        @Override
        public Integer call() {
            byte[] yaml;
            try {
                yaml = Files.readAllBytes(file);
            } catch (IOException e) {
                throw new HubClient.Failure("cannot read " + file + ": " + e.getMessage());
            }
            JsonNode added = template.root.client().postText("/api/v1/templates", "application/yaml", yaml);
            if (template.root.output == Output.Format.table) {
                spec.commandLine().getOut().println("template " + added.path("name").asText() + " revision "
                        + added.path("revision").asText() + " (" + added.path("source").asText() + ", by "
                        + added.path("createdBy").asText() + ")");
            } else {
                Output.print(spec.commandLine().getOut(), template.root.output, added, List.of());
            }
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
