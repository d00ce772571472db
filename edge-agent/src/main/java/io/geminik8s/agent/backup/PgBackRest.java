package io.geminik8s.agent.backup;

import io.geminik8s.protocol.BackupSpec;
import io.geminik8s.agent.pg.PgArchive;
import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.agent.proc.ProcessRunner;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * pgBackRest for one node (docs/backup.md): its configuration file, WAL archiving through it, and its commands, run
 * as the server's OS user through the agent's one {@link ProcessRunner} ({@link PgControl#tool}). Its files live in
 * {@code <data>.pgbackrest/} beside the data directory (0700), so no copy or restore of the data carries the key.
 */
public final class PgBackRest {

    public static final String BINARY = "/usr/bin/pgbackrest";
    static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(5);
    static final Duration BACKUP_TIMEOUT = Duration.ofHours(6);
    private static final DateTimeFormatter TARGET = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS+00")
            .withZone(ZoneOffset.UTC);

    private final PgControl pg;
    private final PgArchive archive;
    private final PgBackRestConf conf;
    private final String binary;

    public PgBackRest(PgControl pg, String stanza, Path socketDir) {
        this(pg, stanza, socketDir, BINARY);
    }

    public PgBackRest(PgControl pg, String stanza, Path socketDir, String binary) {
        this.pg = pg;
        this.archive = new PgArchive(pg);
        Path data = pg.dataDirectory().toAbsolutePath();
        this.conf = new PgBackRestConf(stanza, data, pg.port(), socketDir,
                data.resolveSibling(data.getFileName() + ".pgbackrest"));
        this.binary = binary;
    }

    /** The PostgreSQL it backs up. */
    public PgControl database() {
        return pg;
    }

    public Path home() {
        return conf.home();
    }

    public Path configFile() {
        return conf.home().resolve("pgbackrest.conf");
    }

    public String stanza() {
        return conf.stanza();
    }

    /**
     * The configuration file for {@code spec} and the site's key, rewritten only when it differs (0600, the
     * server's OS user's; its folder 0700). True when it changed.
     */
    public boolean writeConfig(BackupSpec spec, String cipherPass) {
        archive.privateDirectory(conf.home());
        for (String sub : List.of("lock", "log", "spool")) {
            archive.privateDirectory(conf.home().resolve(sub));
        }
        return archive.privateFileIfChanged(configFile(), conf.render(spec, cipherPass));
    }

    /** The archive_command PostgreSQL runs for each finished WAL segment. */
    public String archiveCommand() {
        return binary + " --config=" + configFile() + " --stanza=" + conf.stanza() + " archive-push %p";
    }

    /** archive_mode, archive_command and archive_timeout on this node's server ({@link PgArchive#configure}). */
    public PgArchive.State configureArchiving(BackupSpec spec) {
        return configureArchiving(spec, Optional.empty());
    }

    /**
     * As {@link #configureArchiving(BackupSpec)}, with {@code then} run after each segment reached the central
     * repository: its failure does not fail the command, so a peer that is away never holds WAL back from the
     * central repository (PostgreSQL retries a segment until its command succeeds, and archives nothing after it).
     */
    public PgArchive.State configureArchiving(BackupSpec spec, Optional<String> then) {
        return archive.configure(archiveCommand() + then.map(c -> " && { " + c + "; true; }").orElse(""),
                spec.archiveTimeoutSeconds());
    }

    /** Makes the stanza in the repository, or checks an existing one matches this database. */
    public ProcessRunner.Result stanzaCreate() {
        return run(COMMAND_TIMEOUT, "stanza-create");
    }

    /**
     * A backup, after a checkpoint: right after a promotion pg_control still names the old timeline until the
     * end-of-recovery checkpoint completes, and pgBackRest refuses the backup meanwhile ("WAL timeline 3 does not
     * match pg_control timeline 1"); a checkpoint of an edge site's small database takes milliseconds.
     */
    public ProcessRunner.Result backup(BackupType type) {
        try {
            database().sql("CHECKPOINT");
        } catch (RuntimeException e) {
            // a server that does not answer fails the backup below, with pgBackRest's own words
        }
        return run(BACKUP_TIMEOUT, "backup", "--type=" + type.option());
    }

    /** The repository's view of the stanza; not {@code ok} when pgBackRest fails (a wrong key, no repository). */
    public BackupInfo info() {
        ProcessRunner.Result r = run(COMMAND_TIMEOUT, "info", "--output=json");
        if (!r.ok()) {
            return new BackupInfo(false, r.describe(), null, null, null, null, 0, null, 0);
        }
        return BackupInfo.parse(r.stdout(), conf.stanza());
    }

    /**
     * Restores the data directory from the repository, PostgreSQL stopped: to the moment {@code target} (then
     * promoted), or with every archived WAL segment when empty. {@code --delta} rewrites only what differs.
     */
    public ProcessRunner.Result restore(Optional<Instant> target) {
        List<String> args = new ArrayList<>(List.of("restore", "--delta"));
        target.ifPresent(t -> args.addAll(List.of("--type=time", "--target=" + TARGET.format(t),
                "--target-action=promote")));
        return run(BACKUP_TIMEOUT, args.toArray(String[]::new));
    }

    /** Restores the newest backup as a standby's data ({@code --type=standby}: standby.signal, restore_command). */
    public ProcessRunner.Result restoreStandby() {
        return run(BACKUP_TIMEOUT, "restore", "--delta", "--type=standby");
    }

    ProcessRunner.Result run(Duration timeout, String... command) {
        List<String> cmd = new ArrayList<>(List.of(binary, "--config=" + configFile(), "--stanza=" + conf.stanza()));
        cmd.addAll(List.of(command));
        return pg.tool(timeout, cmd);
    }
}
