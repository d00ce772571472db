package io.geminik8s.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code gk8s backup list --site S}, {@code gk8s backup run --site S [--type T]}, {@code gk8s backup restore --site S
 * [--to TIME]}, {@code gk8s backup restores --site S}, {@code gk8s backup rebuild --site S [--to TIME]} and {@code gk8s
 * backup rebuilds --site S} (docs/backup.md).
 */
@Command(name = "backup", description = "A site's backups: the last good one, the last failure, stale or not; take one"
        + " now; restore the site to a moment; rebuild a site whose nodes were both lost.",
        subcommands = {BackupCommand.ListBackups.class,
        BackupCommand.Run.class, BackupRestoreCommand.Restore.class, BackupRestoreCommand.ListRestores.class,
        BackupRestoreCommand.Test.class, BackupRestoreCommand.RebuildStandby.class, BackupRebuildCommand.Rebuild.class,
        BackupRebuildCommand.ListRebuilds.class})
final class BackupCommand {

    @ParentCommand
    Gk8s root;

    @Command(name = "list", description = "The site's last good backup and failure, then its recent backup events.")
    static final class ListBackups extends BackupVerb {
        @Override
        public Integer call() {
            JsonNode b = get("backups");
            if (backup.root.output != Output.Format.table) {
                return print(b, List.of());
            }
            print(b, List.of(new Output.Column("SITE", "/site"),
                    new Output.Column("CONFIGURED", "/configured"), new Output.Column("STALE", "/stale"),
                    new Output.Column("LAST GOOD", "/lastGood/at"), new Output.Column("LABEL", "/lastGood/attrs/label"),
                    new Output.Column("BYTES", "/lastGood/attrs/backupBytes"),
                    new Output.Column("LAST FAILURE", "/lastFailure/at"),
                    new Output.Column("ARCHIVE LAG S", "/archive/lagSeconds"),
                    new Output.Column("ARCHIVE FAILURES", "/archive/report/attrs/failedCount"),
                    new Output.Column("RESTORE TEST", "/lastRestoreTest/type"),
                    new Output.Column("TESTED AT", "/lastRestoreTest/at"),
                    new Output.Column("TEST SCHEDULE", "/restoreTest/schedule"),
                    new Output.Column("TEST OLD", "/restoreTest/old")));
            if (b.path("recent").size() > 0) {
                out().println();
                print(b.path("recent"), List.of(new Output.Column("AT", "/at"),
                        new Output.Column("NODE", "/node"), new Output.Column("EVENT", "/type"),
                        new Output.Column("TYPE", "/attrs/type"), new Output.Column("LABEL", "/attrs/label"),
                        new Output.Column("MESSAGE", "/message")));
            }
            return 0;
        }
    }

    @Command(name = "run", description = "Take a backup now on the site's online primary (operator): the hub sends it"
            + " the backup-run command; its answer and the backup.completed or backup.failed event follow.")
    static final class Run extends BackupVerb {
        @Option(names = "--type", description = "full, diff or incr (default incr: full when there is none)")
        String type;

        @Override
        public Integer call() {
            return post("backups", field("type", type), List.of(new Output.Column("SITE", "/site"),
                    new Output.Column("NODE", "/node"), new Output.Column("TYPE", "/type"),
                    new Output.Column("COMMAND", "/commandId"), new Output.Column("EXPIRES", "/expiresAt")));
        }
    }
}
