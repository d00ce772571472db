package io.geminik8s.agent.backup;

import io.geminik8s.protocol.BackupSpec;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Drives a node's {@link BackupService} on a thread of its own (a backup takes minutes; never the HA thread or the
 * agent's loop): a tick every {@link #PERIOD} with the applied desired state's {@code spec.backup} and the node's HA
 * role, and the hub's {@code backup-run} command ({@link #runNow}) queued behind it. No section, no backups.
 */
public final class BackupLoop implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(BackupLoop.class.getName());
    static final Duration PERIOD = Duration.ofMinutes(1);

    private final BackupService service;
    private final Supplier<Map<String, ?>> spec;
    private final Supplier<BackupPlanner.Role> role;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gk8s-backup");
        t.setDaemon(true);
        return t;
    });
    private String lastProblem;

    public BackupLoop(BackupService service, Supplier<Map<String, ?>> spec, Supplier<BackupPlanner.Role> role) {
        this.service = service;
        this.spec = spec;
        this.role = role;
    }

    public void start() {
        thread.scheduleWithFixedDelay(this::tick, PERIOD.toSeconds(), PERIOD.toSeconds(), TimeUnit.SECONDS);
    }

    /** The answer to {@code backup-run}: what was done, or why not (a failure completes exceptionally). */
    public CompletableFuture<String> runNow(BackupType type) {
        return CompletableFuture.supplyAsync(() -> {
            BackupSpec s = current().orElseThrow(() -> new IllegalStateException("no backup: the site's template has no"
                    + " spec.backup section"));
            BackupService.Outcome o = service.runNow(s, role.get(), type);
            if (o.run().isEmpty()) {
                throw new IllegalStateException("no backup: " + o.decision().reason());
            }
            if (!o.run().get().ok()) {
                throw new IllegalStateException(type.option() + " backup failed (event backup.failed): "
                        + o.run().get().describe());
            }
            return type.option() + " backup " + o.info().lastLabel() + " taken";
        }, thread);
    }

    /** The hub's {@code backup-verify}: a restore test ({@link RestoreTest}) on this thread, so no backup overlaps. */
    public CompletableFuture<String> verifyNow() {
        return CompletableFuture.supplyAsync(() -> service.restoreTest(current().orElseThrow(() ->
                new IllegalStateException("no restore test: the site's template has no spec.backup section"))), thread);
    }

    /** Restores this node's data from the repository with the tool backups use; see {@link #restoreNow}. */
    public interface Restorer {
        String restore(Optional<java.time.Instant> target, PgBackRest tool) throws InterruptedException;
    }

    /**
     * The hub's {@code backup-restore}: on this thread, so that no backup runs meanwhile, with pgBackRest's
     * configuration written from the applied {@code spec.backup} first (a failure completes exceptionally).
     */
    public CompletableFuture<String> restoreNow(Optional<java.time.Instant> target, Restorer restorer) {
        return CompletableFuture.supplyAsync(() -> {
            BackupSpec s = current().orElseThrow(() -> new IllegalStateException("no restore: the site's template has"
                    + " no spec.backup section"));
            service.configure(s);
            try {
                return restorer.restore(target, service.tool());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("restore interrupted", e);
            }
        }, thread);
    }

    /**
     * pgBackRest configured from the applied {@code spec.backup}, on this thread, for work that runs elsewhere (a
     * standby rebuilt from the repository on its supervisor's thread); fails when the template has no such section.
     */
    public CompletableFuture<PgBackRest> configured(String what) {
        return CompletableFuture.supplyAsync(() -> {
            service.configure(current().orElseThrow(() -> new IllegalStateException("no " + what + ": the site's"
                    + " template has no spec.backup section")));
            return service.tool();
        }, thread);
    }

    /** As {@link #configured}, for the peer repository: fails when the template or this node has none. */
    public CompletableFuture<PeerRepository> configuredPeer() {
        return CompletableFuture.supplyAsync(() -> {
            BackupSpec s = current().orElseThrow(() -> new IllegalStateException("no rebuild from the peer repository:"
                    + " the site's template has no spec.backup section"));
            if (s.peer().isEmpty() || service.peer().isEmpty()) {
                throw new IllegalStateException("no rebuild from the peer repository: the site's template has no"
                        + " spec.backup.peerRepository");
            }
            service.configure(s);
            return service.peer().get();
        }, thread);
    }

    private Optional<BackupSpec> current() {
        return BackupSpec.fromSpec(spec.get());
    }

    void tick() {
        Optional<BackupSpec> s;
        try {
            s = current();
        } catch (IllegalArgumentException e) { // a section a newer hub allows and this agent does not know
            if (!String.valueOf(e.getMessage()).equals(lastProblem)) {
                service.refused(e.getMessage());
                lastProblem = String.valueOf(e.getMessage());
            }
            return;
        }
        try {
            if (s.isEmpty()) {
                service.peer().ifPresent(PeerRepository::close); // the section dropped: no server for nothing
            } else {
                BackupService.Outcome o = service.tick(s.get(), role.get());
                LOG.fine(() -> "backup: " + o.decision().reason());
            }
            lastProblem = null;
        } catch (RuntimeException e) {
            if (!String.valueOf(e.getMessage()).equals(lastProblem)) { // once per distinct problem, not every minute
                LOG.warning("backup: " + e.getMessage());
                lastProblem = String.valueOf(e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
        service.peer().ifPresent(PeerRepository::close);
    }
}
