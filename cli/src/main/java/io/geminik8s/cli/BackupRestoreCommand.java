package io.geminik8s.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code gk8s backup restore --site S [--to TIME]} and {@code gk8s backup restores --site S} (docs/backup.md). */
final class BackupRestoreCommand {

    private static final List<Output.Column> COLUMNS = List.of(new Output.Column("RESTORE", "/id"),
            new Output.Column("TO", "/to"), new Output.Column("PRIMARY", "/primary"),
            new Output.Column("STANDBY", "/standby"), new Output.Column("STATE", "/state"),
            new Output.Column("BY", "/requestedBy"), new Output.Column("AT", "/requestedAt"),
            new Output.Column("MESSAGE", "/message"));

    private BackupRestoreCommand() {
    }

    @Command(name = "restore", description = "Restore the site's datastore to a moment (operator): the primary restores"
            + " from the repository (its K3s stopped meanwhile), then the standby is rebuilt from it; follow it with"
            + " 'gk8s backup restores'. Everything the site wrote after that moment is lost.")
    static final class Restore implements Callable<Integer> {
        @ParentCommand
        BackupCommand backup;
        @Spec
        CommandSpec spec;
        @Option(names = "--site", required = true, description = "site id")
        String site;
        @Option(names = "--to", description = "an ISO-8601 time with its offset, e.g. 2026-11-30T01:03:28Z (default:"
                + " the last archived WAL)")
        String to;

        @Override
        public Integer call() {
            JsonNode r = backup.root.client().post("/api/v1/sites/" + site + "/restores", Map.of(),
                    to == null ? Map.of() : Map.of("to", to));
            Output.print(spec.commandLine().getOut(), backup.root.output, r, COLUMNS);
            return 0;
        }
    }

    @Command(name = "restores", description = "The site's recent restores and their state (restoring, rebuilding,"
            + " done, failed, expired).")
    static final class ListRestores implements Callable<Integer> {
        @ParentCommand
        BackupCommand backup;
        @Spec
        CommandSpec spec;
        @Option(names = "--site", required = true, description = "site id")
        String site;

        @Override
        public Integer call() {
            JsonNode r = backup.root.client().get("/api/v1/sites/" + site + "/restores", Map.of());
            Output.print(spec.commandLine().getOut(), backup.root.output, r, COLUMNS);
            return 0;
        }
    }
}
