package io.geminik8s.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code gk8s config}: named contexts (a hub and its token) in the config file, as kubectl keeps clusters in its
 * kubeconfig; {@code ./demo} writes one for its hub.
 */
@Command(name = "config", description = "Contexts: which hub to talk to and with which token (like kubectl config).",
        subcommands = {ConfigCommand.SetContext.class, ConfigCommand.UseContext.class, ConfigCommand.GetContexts.class,
                ConfigCommand.CurrentContext.class})
final class ConfigCommand {

    @ParentCommand
    Gk8s root;

    Path file() {
        return CliConfig.file(root.config, root.env);
    }

    @Command(name = "set-context", description = "Add or change a context from --hub and --token-file (the file's"
            + " path is stored, not the token); the first context becomes the current one.")
    static final class SetContext implements Callable<Integer> {
        @ParentCommand
        ConfigCommand config;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", description = "context name")
        String name;

        @Override
        public Integer call() {
            Gk8s root = config.root;
            if (root.hub == null && root.tokenFile == null) {
                throw new HubClient.Failure("give --hub URL and/or --token-file FILE for context '" + name + "'");
            }
            Path file = config.file();
            ObjectNode cfg = CliConfig.object(CliConfig.read(file, false));
            ObjectNode ctx = CliConfig.object(cfg.path("contexts").path(name)).deepCopy();
            if (root.hub != null) {
                ctx.put("hub", root.hub);
            }
            if (root.tokenFile != null) {
                ctx.put("tokenFile", root.tokenFile.toAbsolutePath().normalize().toString());
                ctx.remove("token");
            }
            ObjectNode contexts = cfg.has("contexts") && cfg.get("contexts").isObject()
                    ? (ObjectNode) cfg.get("contexts") : cfg.putObject("contexts");
            contexts.set(name, ctx);
            if (!cfg.hasNonNull("current-context")) {
                cfg.put("current-context", name);
            }
            CliConfig.write(file, cfg);
            spec.commandLine().getOut().printf("context %s set in %s%s%n", name, file,
                    name.equals(cfg.path("current-context").asText()) ? " (current)" : "");
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    @Command(name = "use-context", description = "Make a context the current one.")
    static final class UseContext implements Callable<Integer> {
        @ParentCommand
        ConfigCommand config;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", description = "context name")
        String name;

        @Override
        public Integer call() {
            Path file = config.file();
            ObjectNode cfg = CliConfig.object(CliConfig.read(file, true));
            if (!cfg.path("contexts").path(name).isObject()) {
                throw new HubClient.Failure("no context '" + name + "' in " + file + "; contexts: "
                        + CliConfig.names(cfg));
            }
            cfg.put("current-context", name);
            CliConfig.write(file, cfg);
            spec.commandLine().getOut().printf("switched to context %s%n", name);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    @Command(name = "get-contexts", description = "List the contexts; * marks the current one.")
    static final class GetContexts implements Callable<Integer> {
        @ParentCommand
        ConfigCommand config;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            JsonNode cfg = CliConfig.read(config.file(), false);
            String current = cfg.path("current-context").asText("");
            ArrayNode rows = JsonNodeFactory.instance.arrayNode();
            for (String n : CliConfig.names(cfg)) {
                JsonNode c = cfg.path("contexts").path(n);
                ObjectNode row = rows.addObject().put("current", n.equals(current) ? "*" : "").put("name", n)
                        .put("hub", c.path("hub").asText(CliConfig.DEFAULT_HUB));
                if (c.hasNonNull("tokenFile")) {
                    row.put("tokenFile", c.get("tokenFile").asText());
                }
            }
            Output.print(spec.commandLine().getOut(), config.root.output, rows, List.of(
                    new Output.Column("CURRENT", "/current"), new Output.Column("NAME", "/name"),
                    new Output.Column("HUB", "/hub"), new Output.Column("TOKEN FILE", "/tokenFile")));
            return 0;
        }
    }

    @Command(name = "current-context", description = "Print the current context's name.")
    static final class CurrentContext implements Callable<Integer> {
        @ParentCommand
        ConfigCommand config;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            JsonNode cfg = CliConfig.read(config.file(), false);
            String name = config.root.context != null ? config.root.context : config.root.env.get("GK8S_CONTEXT") != null
                    ? config.root.env.get("GK8S_CONTEXT") : cfg.path("current-context").asText(null);
            if (name == null) {
                throw new HubClient.Failure("no current context in " + config.file()
                        + " (gk8s config set-context NAME --hub URL --token-file FILE)");
            }
            spec.commandLine().getOut().println(name);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
