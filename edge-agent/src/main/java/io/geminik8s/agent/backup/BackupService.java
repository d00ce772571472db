package io.geminik8s.agent.backup;

import io.geminik8s.protocol.BackupSpec;
import io.geminik8s.agent.pg.PgArchive;
import io.geminik8s.agent.proc.ProcessRunner;
import io.geminik8s.protocol.Severity;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One node's backups, one tick at a time (docs/backup.md): the configuration file and the stanza kept as the spec
 * says on every node (either may become primary), WAL archiving on the node that writes, then the
 * {@link BackupPlanner}'s decision carried out. Every outcome is a journaled event ({@code backup.completed},
 * {@code backup.failed}, {@code backup.archiving}) whose attributes the hub can read; nothing secret is in them
 * (pgBackRest prints the key as {@code <redacted>}, and it is never on a command line).
 */
public final class BackupService {

    /** Where events go: the agent's journal ({@code EventLog.record}). */
    public interface Events {
        void event(String type, Severity severity, String message, Map<String, String> attrs);
    }

    /** The last tick's outcome, for the agent's logs and the run-now command's answer. */
    public record Outcome(BackupPlanner.Decision decision, Optional<ProcessRunner.Result> run, BackupInfo info) {
    }

    private final PgBackRest tool;
    private final String cipherPass;
    private final Clock clock;
    private final Events events;
    private Instant lastFailure;
    private PgArchive.State archiving;
    private boolean stanzaReady;
    private final ArchiveWatch archive = new ArchiveWatch();
    private PeerBackups peer;

    public BackupService(PgBackRest tool, String cipherPass, Clock clock, Events events) {
        this.tool = tool;
        this.cipherPass = cipherPass;
        this.clock = clock;
        this.events = events;
    }

    /**
     * With {@code spec.backup.peerRepository}: the second repository on the standby's disk, encrypted with its own
     * key, reached through pgBackRest's TLS server with certificates of the CA derived from {@code caSeed}.
     */
    public BackupService withPeer(PeerRepository repository, String cipherPass, String caSeed) {
        this.peer = new PeerBackups(repository, cipherPass, this.cipherPass, caSeed, clock, events);
        return this;
    }

    /** The scheduled tick: backs up when the planner says so. */
    public synchronized Outcome tick(BackupSpec spec, BackupPlanner.Role role) {
        return step(spec, role, Optional.empty());
    }

    /** The hub's {@code backup-run}: a backup of {@code type} now, if this node is the one that writes. */
    public synchronized Outcome runNow(BackupSpec spec, BackupPlanner.Role role, BackupType type) {
        return step(spec, role, Optional.of(type));
    }

    /** pgBackRest's configuration written if it differs from {@code spec} (event {@code backup.configured}). */
    public synchronized void configure(BackupSpec spec) {
        if (tool.writeConfig(spec, cipherPass)) {
            stanzaReady = false;
            events.event("backup.configured", Severity.INFO, "pgbackrest.conf written for repository "
                    + spec.repositoryPath(), Map.of("repository", spec.repositoryPath()));
        }
        if (peer != null) {
            peer.configure(spec); // its problems are its own events: the central repository's work goes on
        }
    }

    /** The applied {@code spec.backup} cannot be read by this agent: nothing is backed up until it can. */
    public void refused(String why) {
        events.event("backup.failed", Severity.WARNING, "spec.backup not understood by this agent (upgrade it, or"
                + " change the template): " + why, Map.of("type", "none"));
    }

    public Optional<PeerRepository> peer() {
        return Optional.ofNullable(peer).map(PeerBackups::repository);
    }

    /** The newest backup restored into a scratch copy and started ({@link RestoreTest}); throws when it fails. */
    public synchronized String restoreTest(BackupSpec spec) {
        configure(spec);
        return new RestoreTest(tool, events).run();
    }

    public PgBackRest tool() {
        return tool;
    }

    private Outcome step(BackupSpec spec, BackupPlanner.Role role, Optional<BackupType> forced) {
        configure(spec);
        Instant now = clock.instant();
        BackupPlanner.Decision gate = BackupPlanner.decide(spec, now, role, BackupPlanner.History.EMPTY);
        if (!role.writes()) { // standby, fenced, no lease: configuration only, and the standby's peer backups on a tick
            Optional<Outcome> peerBackup = peer == null || forced.isPresent() ? Optional.empty()
                    : peer.step(spec, role, now);
            return peerBackup.orElse(new Outcome(gate, Optional.empty(), null));
        }
        PgArchive.State state = tool.configureArchiving(spec, peer == null ? Optional.empty() : peer.push(spec, role));
        if (state != archiving) {
            archiving = state;
            events.event("backup.archiving", state == PgArchive.State.ARCHIVING ? Severity.INFO : Severity.WARNING,
                    state == PgArchive.State.ARCHIVING ? "WAL archiving on" : "WAL archiving needs a PostgreSQL restart"
                            + " (archive_mode); no backup until then", Map.of("state", state.name().toLowerCase()));
        }
        if (state != PgArchive.State.ARCHIVING) {
            return new Outcome(BackupPlanner.Decision.skip("WAL archiving waits for a PostgreSQL restart", null),
                    Optional.empty(), null);
        }
        reportArchiving(now);
        if (!stanzaReady) {
            ProcessRunner.Result r = tool.stanzaCreate();
            if (!r.ok()) {
                return failed(null, r, BackupPlanner.Decision.skip("stanza-create failed", null));
            }
            stanzaReady = true;
        }
        BackupInfo info = tool.info();
        if (!info.ok() && info.backups() > 0) {
            return failed(null, null, BackupPlanner.Decision.skip("repository unreadable: " + info.status(), null));
        }
        BackupPlanner.Decision d = forced.map(t -> BackupPlanner.Decision.take(t, "requested"))
                .orElseGet(() -> BackupPlanner.decide(spec, now, role, info.history(lastFailure)));
        if (d.type().isEmpty()) {
            return new Outcome(d, Optional.empty(), info);
        }
        BackupType type = d.type().get();
        ProcessRunner.Result r = tool.backup(type);
        if (!r.ok()) {
            return failed(type, r, d);
        }
        BackupInfo after = tool.info();
        Map<String, String> attrs = completed(type, r, after, d);
        attrs.put("archiveMax", String.valueOf(after.archiveMax()));
        events.event("backup.completed", Severity.INFO, type.option() + " backup " + after.lastLabel() + " in "
                + r.tookMs() + " ms", attrs);
        lastFailure = null;
        return new Outcome(d, Optional.of(r), after);
    }

    /** {@code backup.archive} when due ({@link ArchiveWatch}); a reading that fails is logged by the caller's tick. */
    private void reportArchiving(Instant now) {
        ArchiveWatch.Status st = ArchiveWatch.read(tool.database());
        archive.report(st, now).ifPresent(e -> events.event("backup.archive", e.getKey(), st.ready() == 0
                ? "WAL archiving: nothing waiting; " + st.failedCount() + " failures so far"
                : "WAL archiving: " + st.ready() + " segment(s) waiting, the oldest " + st.lagSeconds() + " s; "
                + st.failedCount() + " failures so far", e.getValue()));
    }

    private Outcome failed(BackupType type, ProcessRunner.Result r, BackupPlanner.Decision d) {
        lastFailure = clock.instant();
        return failure(events, "backup.failed", type, r, d);
    }

    /** A completed backup's event attributes (both repositories' events carry them). */
    static Map<String, String> completed(BackupType type, ProcessRunner.Result r, BackupInfo after,
                                         BackupPlanner.Decision d) {
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("type", type.option());
        attrs.put("label", String.valueOf(after.lastLabel()));
        attrs.put("tookMs", Long.toString(r.tookMs()));
        attrs.put("backupBytes", Long.toString(after.backupBytes()));
        attrs.put("backups", Integer.toString(after.backups()));
        attrs.put("reason", d.reason());
        return attrs;
    }

    /** A failed step as event {@code type} (a warning with pgBackRest's last 500 characters) and its outcome. */
    static Outcome failure(Events events, String eventType, BackupType type, ProcessRunner.Result r,
                           BackupPlanner.Decision d) {
        String why = r == null ? d.reason() : r.describe();
        events.event(eventType, Severity.WARNING, why.length() > 500 ? why.substring(why.length() - 500) : why,
                Map.of("type", type == null ? "none" : type.option()));
        return new Outcome(d, Optional.ofNullable(r), null);
    }
}
