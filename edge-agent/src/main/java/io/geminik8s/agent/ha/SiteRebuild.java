package io.geminik8s.agent.ha;

import io.geminik8s.agent.backup.BackupLoop;
import io.geminik8s.agent.backup.BackupRestore;
import io.geminik8s.agent.config.HaSettings;
import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.protocol.BackupSpec;
import io.geminik8s.protocol.Severity;
import io.geminik8s.protocol.WitnessReply;
import io.geminik8s.protocol.WitnessRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * A site whose two nodes were both lost, rebuilt on this fresh node (docs/backup.md): the witness granted it the
 * site's next epoch on an operator's authorization ({@code gk8s backup rebuild}), with the peer not sync-eligible.
 * It waits for the desired state's {@code spec.backup} (the hub sends it after connect), writes pgBackRest's
 * configuration with the site's key, restores the repository into the empty data directory
 * ({@link BackupRestore#restore}: to the target or the last archived WAL, promoted, recovery settings reset, Kine's
 * ids bumped) on the backup thread, and leaves the server stopped. The caller then renews the epoch with the
 * witness, so the lease runs from a request sent <em>after</em> the restore (the grant's lease lapsed long ago).
 * Events {@code backup.rebuild-started}, {@code backup.rebuild-completed} or {@code backup.rebuild-failed} carry the
 * epoch, which is how the hub matches them to the rebuild.
 */
final class SiteRebuild {

    private static final Logger LOG = Logger.getLogger(SiteRebuild.class.getName());
    /** How long the restore on the backup thread may take before the bootstrap gives up (pgBackRest's own: 6 h). */
    private static final long RESTORE_HOURS = 7;

    private final String site;
    private final PgControl local;
    private final BackupLoop backups;
    private final Supplier<Map<String, ?>> spec;
    private final HaEvents events;
    private final Duration patience;

    SiteRebuild(String site, PgControl local, BackupLoop backups, Supplier<Map<String, ?>> spec, HaEvents events,
                Duration patience) {
        this.site = site;
        this.local = local;
        this.backups = backups;
        this.spec = spec;
        this.events = events;
        this.patience = patience;
    }

    /** A witness answer with the send time of the request it answers (for the lease). */
    record Sent(WitnessReply reply, long sentAt) {
    }

    /** Asks the witness until it answers (bounded by the bootstrap's patience). */
    interface Witness {
        Sent ask(WitnessRequest.Op op, long epoch) throws InterruptedException;
    }

    /**
     * The bootstrap of an empty node started as primary whose {@code promote} for epoch 1 was {@code refused}: asks
     * {@code rebuild} for the next epoch; granted, restores ({@link #run}) and renews the epoch <em>after</em> the
     * restore: the machine starts as primary with its lease counted from that renew's send time, its peer not
     * synchronous; the supervisor then starts the restored server writable, the VIP and K3s under its lease guard.
     * Refused: throws telling the operator what to do.
     */
    PairMachine bootstrap(String node, HaSettings ha, WitnessReply refused, Witness witness, LongConsumer saveEpoch)
            throws InterruptedException {
        WitnessReply g = witness.ask(WitnessRequest.Op.REBUILD, refused.epoch() + 1).reply();
        long deadline = System.nanoTime() + patience.toNanos();
        while (g.outcome() == WitnessReply.Outcome.WAIT && System.nanoTime() < deadline) { // the old lease lapses
            TimeUnit.MILLISECONDS.sleep(Math.max(100, g.retryAfterMs())); // the witness's retry interval
            g = witness.ask(WitnessRequest.Op.REBUILD, refused.epoch() + 1).reply();
        }
        if (g.outcome() != WitnessReply.Outcome.GRANTED) {
            throw new IllegalStateException("site " + site + " already has epoch " + refused.epoch() + " held by "
                    + refused.holder() + ": start " + node + " as standby; if both nodes of the site were lost,"
                    + " authorize its rebuild from the backup repository with 'gk8s backup rebuild --site " + site
                    + "' and start " + node + " again with an empty " + ha.pgData() + " (" + g.reason() + ")");
        }
        long epoch = g.epoch();
        Optional<Instant> target = Optional.ofNullable(g.rebuildTo()).map(Instant::parse);
        long t0 = System.nanoTime();
        run(epoch, target);
        // kept only now: an agent that dies during the restore does not resume a half-restored directory as the
        // holder of the epoch at its next start (it finds no epoch it held, and never writes)
        saveEpoch.accept(epoch);
        Map<String, String> attrs = new LinkedHashMap<>(Map.of("epoch", Long.toString(epoch), "target",
                target.map(Instant::toString).orElse("latest")));
        Sent renewed = witness.ask(WitnessRequest.Op.RENEW, epoch); // after the restore: the lease runs from here
        if (renewed.reply().outcome() != WitnessReply.Outcome.GRANTED) {
            IllegalStateException e = new IllegalStateException("site " + site + " restored for epoch " + epoch
                    + ", but the witness did not renew it: " + renewed.reply().reason() + "; the data stays fenced");
            failed(attrs, e);
            throw e;
        }
        PairMachine machine = PairMachine.primary(ha.peerNode(), epoch, renewed.sentAt(), false, ha.timing(),
                System.nanoTime() / 1_000_000);
        long took = (System.nanoTime() - t0) / 1_000_000;
        attrs.put("tookMs", Long.toString(took));
        events.record("backup.rebuild-completed", Severity.WARNING, node + " rebuilt site " + site + " from its"
                + " backup repository and holds epoch " + epoch + " (" + took + " ms; writable once supervised); "
                + ha.peerNode() + " joins it as standby", attrs);
        return machine;
    }

    /** Restores for {@code epoch}; the server is stopped afterwards. Throws with the reason (journaled). */
    void run(long epoch, Optional<Instant> target) throws InterruptedException {
        String to = target.map(Instant::toString).orElse("latest");
        Map<String, String> attrs = new LinkedHashMap<>(Map.of("epoch", Long.toString(epoch), "target", to));
        events.record("backup.rebuild-started", Severity.WARNING, "rebuilding site " + site + " from its backup"
                + " repository (epoch " + epoch + ", to " + to + ")", attrs);
        try {
            BackupSpec backup = awaitSpec();
            if (Files.isDirectory(local.dataDirectory())) { // nothing runs there: the bootstrap made no cluster
                emptyDataDirectory(local.dataDirectory());
            }
            new io.geminik8s.agent.pg.PgArchive(local).privateDirectory(local.dataDirectory());
            backups.restoreNow(target, (t, tool) -> {
                BackupRestore.Took r = BackupRestore.restore(local, tool, t);
                // archive_command as this node's configuration has it (the restored one names the backup's node's);
                // the new timeline's history file is the first thing it archives
                tool.configureArchiving(backup);
                local.stop();
                attrs.put("restoreMs", Long.toString(r.restoreMs()));
                attrs.put("recoveryMs", Long.toString(r.recoveryMs()));
                attrs.put("kineBumped", Boolean.toString(r.kineBumped()));
                return "";
            }).get(RESTORE_HOURS, TimeUnit.HOURS);
            LOG.info(() -> "site " + site + " restored from its repository for epoch " + epoch + ": " + attrs);
        } catch (ExecutionException | java.util.concurrent.TimeoutException | RuntimeException e) {
            failed(attrs, e instanceof ExecutionException ? e.getCause() : e);
            local.kill();
            if (Files.isDirectory(local.dataDirectory())) { // a half-restored directory never starts as the holder's
                emptyDataDirectory(local.dataDirectory());
            }
            throw new IllegalStateException("rebuild of site " + site + " failed: " + message(e instanceof
                    ExecutionException ? e.getCause() : e), e);
        }
    }

    void failed(Map<String, String> attrs, Throwable e) {
        String why = message(e);
        events.record("backup.rebuild-failed", Severity.CRITICAL, why.length() > 500 ? why.substring(why.length()
                - 500) : why, attrs);
    }

    private BackupSpec awaitSpec() throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            Optional<BackupSpec> s = BackupSpec.fromSpec(spec.get());
            if (s.isPresent()) {
                return s.get();
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no spec.backup in the desired state within " + patience.toMinutes()
                        + " minutes: nothing to restore from");
            }
            TimeUnit.MILLISECONDS.sleep(200); // polls the applied desired state, which the agent's loop writes
        }
    }

    private static void emptyDataDirectory(Path data) {
        try (var files = Files.walk(data)) {
            files.sorted(Comparator.reverseOrder()).filter(p -> !p.equals(data)).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String message(Throwable e) {
        return String.valueOf(e.getMessage());
    }
}
