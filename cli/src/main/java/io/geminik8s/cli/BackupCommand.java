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
    static final class ListBackups implements Callable<Integer> {
        @ParentCommand
        BackupCommand backup;
        @Spec
        CommandSpec spec;
        @Option(names = "--site", required = true, description = "site id")
        String site;

        @Override
        public Integer call() {
            JsonNode b = backup.root.client().get("/api/v1/sites/" + site + "/backups", Map.of());
            var out = spec.commandLine().getOut();
            if (backup.root.output != Output.Format.table) {
                Output.print(out, backup.root.output, b, List.of());
                return 0;
            }
            Output.print(out, Output.Format.table, b, List.of(new Output.Column("SITE", "/site"),
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
                out.println();
                Output.print(out, Output.Format.table, b.path("recent"), List.of(new Output.Column("AT", "/at"),
                        new Output.Column("NODE", "/node"), new Output.Column("EVENT", "/type"),
                        new Output.Column("TYPE", "/attrs/type"), new Output.Column("LABEL", "/attrs/label"),
                        new Output.Column("MESSAGE", "/message")));
            }
            return 0;
        }
    }

    @Command(name = "run", description = "Take a backup now on the site's online primary (operator): the hub sends it"
            + " the backup-run command; its answer and the backup.completed or backup.failed event follow.")
    static final class Run implements Callable<Integer> {
        @ParentCommand
        BackupCommand backup;
        @Spec
        CommandSpec spec;
        @Option(names = "--site", required = true, description = "site id")
        String site;
        @Option(names = "--type", description = "full, diff or incr (default incr: full when there is none)")
        String type;

        @Override
        public Integer call() {
            JsonNode r = backup.root.client().post("/api/v1/sites/" + site + "/backups", Map.of(),
                    type == null ? Map.of() : Map.of("type", type));
            Output.print(spec.commandLine().getOut(), backup.root.output, r, List.of(new Output.Column("SITE", "/site"),
                    new Output.Column("NODE", "/node"), new Output.Column("TYPE", "/type"),
                    new Output.Column("COMMAND", "/commandId"), new Output.Column("EXPIRES", "/expiresAt")));
            return 0;
        }
    }
}
