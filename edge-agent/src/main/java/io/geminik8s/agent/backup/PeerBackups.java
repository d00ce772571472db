package io.geminik8s.agent.backup;

import io.geminik8s.agent.ha.PairMachine;
import io.geminik8s.agent.proc.ProcessRunner;
import io.geminik8s.protocol.BackupSpec;
import io.geminik8s.protocol.Severity;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * A node's part in the peer repository (docs/backup.md, "The peer repository"), one tick at a time on the backup
 * thread, kept apart from the central repository's work in {@link BackupService}: nothing that goes wrong here
 * stops central archiving or backups. A problem is an event ({@code backup.peer-failed}) once per distinct problem.
 * On the primary, the peer push is in {@code archive_command} only while the peer's server answers
 * ({@link PeerRepository#reachable}, checked every tick): one that hangs would hold each WAL segment for the push's
 * timeouts, and the central repository — whose backups wait for their WAL — with it.
 */
final class PeerBackups {

    private final PeerRepository repo;
    private final String cipherPass;
    private final String centralCipherPass;
    private final String caSeed;
    private final Clock clock;
    private final BackupService.Events events;
    private boolean ready;
    private boolean stanzaReady;
    private Instant lastFailure;
    private String lastProblem;
    private Boolean reachable;

    PeerBackups(PeerRepository repo, String cipherPass, String centralCipherPass, String caSeed, Clock clock,
                BackupService.Events events) {
        this.repo = repo;
        this.cipherPass = cipherPass;
        this.centralCipherPass = centralCipherPass;
        this.caSeed = caSeed;
        this.clock = clock;
        this.events = events;
    }

    PeerRepository repository() {
        return repo;
    }

    /** Certificates, files and server as {@code spec} says; never throws. */
    void configure(BackupSpec spec) {
        ready = false;
        if (spec.peer().isEmpty()) {
            repo.close(); // the template dropped it: no server listening for nothing
            return;
        }
        BackupSpec.PeerRepository peer = spec.peer().get();
        try {
            if (repo.configure(spec, cipherPass, centralCipherPass, caSeed)) {
                stanzaReady = false;
                events.event("backup.peer-configured", Severity.INFO, "peer repository " + peer.path()
                        + " configured, pgBackRest's TLS server on port " + peer.port(), Map.of("repository",
                        peer.path(), "port", Integer.toString(peer.port())));
            }
            ready = true;
            lastProblem = null;
        } catch (RuntimeException e) {
            problem("the peer repository cannot be set up: " + e.getMessage());
        }
    }

    /**
     * The push a primary with its standby adds after the central one, if the peer's server answers now; empty for
     * a lone primary (its peer is away) and while the peer does not answer (events {@code backup.peer-unreachable}
     * and {@code backup.peer-reachable} when that changes).
     */
    Optional<String> push(BackupSpec spec, BackupPlanner.Role role) {
        if (!ready || spec.peer().isEmpty() || role.state() != PairMachine.State.PRIMARY) {
            return Optional.empty();
        }
        Optional<String> problem = repo.reachable();
        boolean now = problem.isEmpty();
        if (reachable == null || reachable != now) {
            events.event(now ? "backup.peer-reachable" : "backup.peer-unreachable", now ? Severity.INFO
                    : Severity.WARNING, now ? "WAL pushed to the peer repository too" : "WAL not pushed to the peer"
                    + " repository while its server does not answer: " + problem.get(), Map.of());
            reachable = now;
        }
        if (now) {
            repo.resumePushes();
        }
        return now ? Optional.of(repo.pushCommand()) : Optional.empty();
    }

    /** The standby's backup into the peer repository on its disk, when due; empty where this node takes none. */
    Optional<BackupService.Outcome> step(BackupSpec spec, BackupPlanner.Role role, Instant now) {
        if (!ready || spec.peer().isEmpty() || role.state() != PairMachine.State.STANDBY) {
            return Optional.empty();
        }
        if (lastFailure != null && now.isBefore(lastFailure.plus(spec.retry()))) { // one event per retry, not a minute
            return Optional.of(new BackupService.Outcome(BackupPlanner.Decision.skip("the last peer step failed;"
                    + " retry at " + lastFailure.plus(spec.retry()), lastFailure.plus(spec.retry())), Optional.empty(),
                    null));
        }
        if (!stanzaReady) {
            ProcessRunner.Result r = repo.stanzaCreate();
            if (!r.ok()) {
                return Optional.of(failed(null, r, BackupPlanner.Decision.skip("peer stanza-create failed", null)));
            }
            stanzaReady = true;
        }
        BackupInfo info = repo.info();
        if (!info.ok() && info.backups() > 0) {
            return Optional.of(failed(null, null, BackupPlanner.Decision.skip("peer repository unreadable: "
                    + info.status(), null)));
        }
        if (info.backups() == 0 && info.archiveMax() == null) { // a backup now would wait for WAL that never comes
            return Optional.of(new BackupService.Outcome(BackupPlanner.Decision.skip("the peer repository has no WAL"
                    + " yet: waiting for the primary's first push", null), Optional.empty(), info));
        }
        BackupPlanner.Decision d = BackupPlanner.decidePeer(spec, now, role, info.history(lastFailure));
        if (d.type().isEmpty()) {
            return Optional.of(new BackupService.Outcome(d, Optional.empty(), info));
        }
        BackupType type = d.type().get();
        ProcessRunner.Result r = repo.backup(type);
        if (!r.ok()) {
            return Optional.of(failed(type, r, d));
        }
        BackupInfo after = repo.info();
        Map<String, String> attrs = BackupService.completed(type, r, after, d);
        attrs.put("repository", spec.peer().get().path());
        events.event("backup.peer-completed", Severity.INFO, type.option() + " backup " + after.lastLabel()
                + " into the peer repository in " + r.tookMs() + " ms", attrs);
        lastFailure = null;
        return Optional.of(new BackupService.Outcome(d, Optional.of(r), after));
    }

    private BackupService.Outcome failed(BackupType type, ProcessRunner.Result r, BackupPlanner.Decision d) {
        lastFailure = clock.instant();
        return BackupService.failure(events, "backup.peer-failed", type, r, d);
    }

    private void problem(String why) {
        if (!why.equals(lastProblem)) {
            lastProblem = why;
            events.event("backup.peer-failed", Severity.WARNING, why.length() > 500 ? why.substring(0, 500) : why,
                    Map.of("type", "none"));
        }
    }
}
