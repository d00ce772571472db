package io.geminik8s.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** {@code gk8s}: the fleet from a terminal, with kubectl habits. */
@Command(name = "gk8s", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT, version = "gk8s 0.1.0",
        description = "Operate a geminik8s fleet through its hub.",
        subcommands = {ArtifactCommand.class, BackupCommand.class, GetCommand.class, DescribeCommand.class, RolloutCommand.class, SiteCommand.class,
                MosquittoCommand.class, PkiCommand.class, ConfigCommand.class, TemplateCommand.class,
                AutoComplete.GenerateCompletion.class})
public final class Gk8s {

    @Option(names = "--hub", scope = ScopeType.INHERIT, description = "Hub URL (env GK8S_HUB; default "
            + CliConfig.DEFAULT_HUB + ")")
    String hub;

    @Option(names = "--token-file", scope = ScopeType.INHERIT, description = "File holding the API token "
            + "(env GK8S_TOKEN holds the token itself)")
    Path tokenFile;

    @Option(names = "--config", scope = ScopeType.INHERIT, description = "Config file (env GK8S_CONFIG; default "
            + "~/.config/gk8s/config.yaml) with contexts: (gk8s config --help), or hub: and token: or tokenFile:")
    Path config;

    @Option(names = "--context", scope = ScopeType.INHERIT, description = "Context of the config file to use (env "
            + "GK8S_CONTEXT; default its current-context): gk8s config get-contexts")
    String context;

    @Option(names = {"-o", "--output"}, scope = ScopeType.INHERIT, description = "table, json or yaml")
    Output.Format output = Output.Format.table;

    Map<String, String> env = System.getenv();

    HubClient client() {
        CliConfig c = CliConfig.resolve(hub, tokenFile, config, context, env);
        return new HubClient(c.hub(), c.token());
    }

    /** Runs a command line; what tests and {@link #main} call. Errors go to err with exit code 1. */
    public static int run(Map<String, String> env, PrintWriter out, PrintWriter err, String... args) {
        Gk8s root = new Gk8s();
        root.env = env;
        CommandLine cl = new CommandLine(root);
        cl.setOut(out).setErr(err).setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            line.getErr().println("error: " + e.getMessage());
            line.getErr().flush();
            return 1;
        });
        return cl.execute(args);
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int code = run(System.getenv(), out, err, args);
        out.flush(); // autoflush covers println only: what a command print()ed (artifact sign's entry) is written now
        err.flush();
        System.exit(code);
    }
}
