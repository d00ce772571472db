package io.geminik8s.cli;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gk8s backup rebuild --site S [--to TIME]} and {@code gk8s backup rebuilds --site S}: a site whose two nodes
 * were both lost, rebuilt from its repository on fresh nodes (docs/backup.md).
 */
final class BackupRebuildCommand {

    private static final List<Output.Column> COLUMNS = List.of(new Output.Column("REBUILD", "/id"),
            new Output.Column("TO", "/to"), new Output.Column("STATE", "/state"), new Output.Column("NODE", "/node"),
            new Output.Column("EPOCH", "/epoch"), new Output.Column("BY", "/requestedBy"),
            new Output.Column("AT", "/requestedAt"), new Output.Column("EXPIRES", "/expiresAt"),
            new Output.Column("MESSAGE", "/message"));

    private BackupRebuildCommand() {
    }

    @Command(name = "rebuild", description = "Both nodes of the site are lost (operator): the next node of the site"
            + " that starts with an empty disk as primary restores the site from its backup repository and takes the"
            + " next epoch; the other starts as standby and copies it. Refused while a node of the site is online;"
            + " expires when no node takes it (gk8s.backup.rebuild-ttl). Follow it with 'gk8s backup rebuilds'.")
    static final class Rebuild extends BackupVerb {
        @Option(names = "--to", description = "an ISO-8601 time with its offset, e.g. 2026-11-30T01:03:28Z (default:"
                + " the last archived WAL)")
        String to;

        @Override
        public Integer call() {
            return post("rebuilds", field("to", to), COLUMNS);
        }
    }

    @Command(name = "rebuilds", description = "The site's recent rebuilds and their state (waiting, restoring, done,"
            + " failed, expired).")
    static final class ListRebuilds extends BackupVerb {
        @Override
        public Integer call() {
            return list("rebuilds", COLUMNS);
        }
    }
}
