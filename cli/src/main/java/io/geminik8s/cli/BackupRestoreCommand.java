package io.geminik8s.cli;

import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gk8s backup restore --site S [--to TIME]}, {@code gk8s backup restores --site S} and {@code gk8s backup test
 * --site S} (docs/backup.md).
 */
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
    static final class Restore extends BackupVerb {
        @Option(names = "--to", description = "an ISO-8601 time with its offset, e.g. 2026-11-30T01:03:28Z (default:"
                + " the last archived WAL)")
        String to;

        @Override
        public Integer call() {
            return post("restores", field("to", to), COLUMNS);
        }
    }

    @Command(name = "test", description = "Test a restore now (operator): the site's standby (else its primary)"
            + " restores the newest backup into a scratch copy, starts and checks it; the outcome shows as the last"
            + " restore test in 'gk8s backup list'.")
    static final class Test extends BackupVerb {
        @Override
        public Integer call() {
            return post("restore-tests", Map.of(), List.of(new Output.Column("SITE", "/site"),
                    new Output.Column("NODE", "/node"), new Output.Column("COMMAND", "/commandId"),
                    new Output.Column("EXPIRES", "/expiresAt")));
        }
    }

    @Command(name = "rebuild-standby", description = "Rebuild the site's standby now (operator): its data replaced by"
            + " a fresh copy of the primary's, or with --from repository by the backup repository's newest backup and"
            + " archived WAL (a replaced disk; the primary streams only the rest), or with --from peer by the peer"
            + " repository on the standby's own disk (spec.backup.peerRepository); follow it in 'gk8s describe site S'"
            + " (ha.rebuild, ha.rejoined).")
    static final class RebuildStandby extends BackupVerb {
        @Option(names = "--from", description = "primary (default), repository or peer")
        String from;

        @Override
        public Integer call() {
            return post("standby-rebuilds", field("from", from), List.of(new Output.Column("SITE", "/site"),
                    new Output.Column("NODE", "/node"), new Output.Column("FROM", "/from"),
                    new Output.Column("COMMAND", "/commandId"), new Output.Column("EXPIRES", "/expiresAt")));
        }
    }

    @Command(name = "restores", description = "The site's recent restores and their state (restoring, rebuilding,"
            + " done, failed, expired).")
    static final class ListRestores extends BackupVerb {
        @Override
        public Integer call() {
            return list("restores", COLUMNS);
        }
    }
}
