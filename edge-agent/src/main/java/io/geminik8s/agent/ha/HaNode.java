package io.geminik8s.agent.ha;

import io.geminik8s.agent.config.HaSettings;
import io.geminik8s.agent.k3s.K3sDriver;
import io.geminik8s.agent.k3s.ProcessK3s;
import io.geminik8s.agent.k3s.SystemdK3s;
import io.geminik8s.agent.pg.PgControl;
import io.geminik8s.agent.proc.ProcessRunner;
import io.geminik8s.agent.state.DurableFiles;
import io.geminik8s.agent.vip.VipControl;
import io.geminik8s.protocol.WitnessReply;
import io.geminik8s.protocol.WitnessRequest.Op;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * A node of a pair, from empty disk to supervised: bootstraps PostgreSQL (a new primary asks the witness for epoch
 * 1; a new standby clones the peer), or resumes after a restart (a former primary stays fenced until the witness
 * confirms its epoch, else it rejoins), then runs the {@link HaSupervisor}. The epoch held or followed is kept in
 * {@code ha-epoch} under the agent's state directory.
 */
public final class HaNode implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(HaNode.class.getName());
    /** How long a bootstrap step that depends on the hub or the peer is retried before the agent gives up. */
    private static final java.time.Duration BOOTSTRAP_PATIENCE = java.time.Duration.ofMinutes(10);
    /** How long a peer may stay in recovery before a copy of it is given up: longer than a restore's recovery. */
    private static final java.time.Duration PEER_RECOVERY_PATIENCE =
            io.geminik8s.agent.backup.BackupRestore.RECOVERY_DEADLINE.plusMinutes(10);

    private final String site;
    private final String node;
    private final HaSettings ha;
    private final WitnessPort witness;
    private final Path epochFile;
    private final PgControl local;
    private final PgControl peer;
    private final NodeDriver driver;
    private final K3sDriver k3s;
    private final HaEvents events;
    private final Path stateDir;
    private final ProcessRunner runner = new ProcessRunner();
    private final List<String> ipPrefix;
    private final java.util.concurrent.ScheduledExecutorService operator =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "gk8s-ha-operator");
                t.setDaemon(true);
                return t;
            });
    private volatile HaSupervisor supervisor;
    private io.geminik8s.agent.backup.BackupLoop backups;
    private java.util.function.Supplier<java.util.Map<String, ?>> backupSpec = java.util.Map::of;

    public HaNode(String site, String node, HaSettings ha, WitnessPort witness, Path stateDir, HaEvents events) {
        this.events = events;
        this.stateDir = stateDir;
        this.site = site;
        this.node = node;
        this.ha = ha;
        this.witness = witness;
        this.epochFile = stateDir.resolve("ha-epoch");
        this.ipPrefix = ha.vipNetns() == null ? List.of() : List.of("ip", "netns", "exec", ha.vipNetns());
        this.local = new PgControl(ha.pgBin(), ha.pgData(), ha.pgHost(), ha.pgPort(), node, ha.pgOsUser(), runner)
                .listenOn(ha.pgListen()).withSecret(ha.pgSecret(), ha.pgClientNetwork()).withTls(ha.pgTls())
                .withSocketDirectory(ha.pgSocketDir());
        this.peer = new PgControl(ha.pgBin(), null, ha.pgPeerHost(), ha.pgPeerPort(), ha.peerNode(), ha.pgOsUser(),
                runner).withSecret(ha.pgSecret(), ha.pgClientNetwork()).withTls(ha.pgTls());
        VipControl vip = new VipControl(ha.vipCidr(), ha.vipDevice(), ipPrefix, runner);
        // Kine's statements (its id sequence bump) where Kine keeps its table: its own database, or postgres
        java.util.function.Consumer<String> kineSql = statement -> local.sqlWhereFound(
                List.of(PgControl.KINE_USER, "postgres"), statement);
        K3sDriver k3s = ha.k3sCommand() != null ? new ProcessK3s(ha.k3sCommand(), ha.k3sRotateCommand(), stateDir.resolve("k3s.log"), kineSql)
                : ha.k3sUnit() != null ? new SystemdK3s(ha.k3sUnit(), kineSql, runner) : NO_K3S;
        this.driver = new NodeDriver(local, peer, vip, k3s);
        this.k3s = k3s;
    }

    /** Blocks until the node is bootstrapped (a standby waits for its peer's PostgreSQL), then supervises. */
    public void start() throws Exception {
        long now = now();
        PairMachine machine;
        Watchdog.stopLeftovers(stateDir);
        if (ha.pgSecret() != null) { // what K3s's datastore-endpoint should say (Kine's own role, through the VIP)
            io.geminik8s.agent.state.DurableFiles.writeString(stateDir.resolve("k3s-datastore-endpoint"), "postgres://"
                    + PgControl.KINE_USER + ":" + ha.pgSecret().password(PgControl.KINE_USER) + "@"
                    + ha.vipCidr().substring(0, ha.vipCidr().indexOf('/')) + ":" + ha.pgPort() + "/"
                    + PgControl.KINE_USER + (ha.pgTls() ? "?sslmode=require" : "") + "\n");
        }
        local.recoverInterruptedClone();
        if (isEmpty(ha.pgData())) {
            if (ha.initialRole().equals("primary")) {
                WitnessReply r = askWitness(Op.PROMOTE, 1, 0L).reply();
                if (r.outcome() != WitnessReply.Outcome.GRANTED || r.epoch() != 1) {
                    machine = rebuildSite(r); // both nodes lost? only on an operator's authorization
                } else {
                    // the cluster is made only once epoch 1 is this node's: a fresh standby never copies an empty
                    // cluster of a node the site turns out to refuse; the lease runs from a renew sent after initdb
                    local.initPrimary(ha.pgTrustedNetwork());
                    Answer renewed = askWitness(Op.RENEW, 1, null);
                    if (renewed.reply().outcome() != WitnessReply.Outcome.GRANTED) {
                        local.fence();
                        throw new IllegalStateException("epoch 1 of site " + site + " was granted to " + node
                                + " but not renewed after initdb: " + renewed.reply().reason());
                    }
                    machine = PairMachine.primary(ha.peerNode(), 1, renewed.sentAt(), false, ha.timing(), now());
                    saveEpoch(1); // written before it writes: the supervisor starts it (supervise)
                }
            } else {
                cloneAtStart();
                driver.standbyReady();
                machine = PairMachine.standby(ha.peerNode(), readEpoch(), ha.timing(), now());
            }
        } else {
            machine = resumeMachine();
        }
        supervise(machine, now);
        operator.scheduleWithFixedDelay(this::operatorRequests, 0, 300, TimeUnit.MILLISECONDS);
        // PostgreSQL's TLS certificate renewed before it expires, a reload that failed tried again (no restart)
        operator.scheduleWithFixedDelay(local::checkTls, 10, 10, TimeUnit.SECONDS);
        if (backups != null) {
            backups.start();
        }
    }

    /**
     * An empty node started as primary in a site that already has an epoch: the site's rebuild from its repository
     * when an operator authorized one ({@link SiteRebuild#bootstrap}); otherwise refused, telling the operator what
     * to do.
     */
    private PairMachine rebuildSite(WitnessReply refused) throws InterruptedException {
        if (backups == null) {
            throw new IllegalStateException("site " + site + " already has epoch " + refused.epoch() + " held by "
                    + refused.holder() + ": start " + node + " as standby (" + refused.reason() + "); it cannot"
                    + " rebuild the site: backups are not set up on this node (pg.socket-dir, pg.secret-file)");
        }
        return new SiteRebuild(site, local, backups, backupSpec, events, BOOTSTRAP_PATIENCE).bootstrap(node, ha,
                refused, (op, epoch) -> {
                    Answer a = askWitness(op, epoch, null);
                    return new SiteRebuild.Sent(a.reply(), a.sentAt());
                }, this::saveEpoch);
    }

    /**
     * A node with data, as after a restart: a node that was primary writes nothing, and gives up a VIP left on its
     * interface (an agent restart is no reboot), until the witness says its epoch still stands: its PostgreSQL is not
     * even started (a read-only default would not stop a client that overrides it); a standby's starts.
     */
    private PairMachine resumeMachine() throws InterruptedException {
        driver.standDown();
        if (local.standbyData()) {
            local.start();
            driver.standbyReady();
            return PairMachine.standby(ha.peerNode(), readEpoch(), ha.timing(), now());
        }
        local.fence(); // a postgres an earlier agent process left running is killed, not asked
        long epoch = readEpoch();
        Answer a = askWitness(Op.RENEW, epoch, null);
        WitnessReply r = a.reply();
        if (r.outcome() == WitnessReply.Outcome.GRANTED) { // writes again once supervised (supervise)
            return PairMachine.primary(ha.peerNode(), epoch, a.sentAt(), false, ha.timing(), now());
        }
        awaitPeerDatabase();
        rejoinAtStart(r.epoch(), r.holder());
        saveEpoch(r.epoch());
        return PairMachine.standby(ha.peerNode(), r.epoch(), ha.timing(), now());
    }

    /**
     * Runs {@code machine}; a node holding its epoch (a new primary, or one the witness renewed at start) starts
     * PostgreSQL writable, the VIP and K3s under the supervisor's lease guard ({@link HaSupervisor#start(
     * java.util.function.Function, HaSupervisor.Resume)}), never before it: a start slower than the lease would
     * otherwise write unguarded past the lease the witness counts.
     */
    private void supervise(PairMachine machine, long since) {
        HaSupervisor s = new HaSupervisor(site, node, ha.timing(), machine, witness,
                new EpochKeeping(driver, this::saveEpoch), events,
                fired -> new Watchdog(runner, stateDir, ha.pgData(), ha.vipCidr(), ha.vipDevice(), ipPrefix, fired));
        String was = machine.state() + " of epoch " + machine.epoch(); // the machine is the loop's once started
        s.start(onPacket -> new PeerLink(ha.listen(), ha.peerAddress(), site, node, ha.peerNode(),
                ha.peerKey(), onPacket), new HaSupervisor.Resume(driver::startDatabase, driver::takeVip,
                driver::startK3s, driver::releaseVip));
        LOG.info(() -> "HA " + site + "/" + node + ": " + was + " after " + (now() - since) + " ms of bootstrap");
        supervisor = s;
    }

    /**
     * The site's point-in-time restore on this node, its primary ({@link PrimaryRestore}); {@code target} empty: to
     * the last archived WAL. Blocks for the restore's length: call on the backup thread (never the HA thread or the
     * agent's loop). Throws with the reason when refused or failed.
     */
    public String restore(Optional<java.time.Instant> target, io.geminik8s.agent.backup.PgBackRest tool)
            throws InterruptedException {
        HaSupervisor s = supervisor;
        if (s == null) {
            throw new IllegalStateException("no restore: HA is not running yet");
        }
        PairMachine.State state = s.state();
        if ((state != PairMachine.State.PRIMARY && state != PairMachine.State.ALONE) || s.leaseUntil() <= now()
                || s.rejoining()) {
            throw new IllegalStateException("no restore: not the primary holding its epoch (" + state + ")");
        }
        supervisor = null; // backups, upgrades and force-promote see no supervisor while the restore runs
        long since = now();
        return new PrimaryRestore(ha.peerNode(), witness, driver, local, events).run(s, target, tool,
                () -> supervise(resumeMachine(), since));
    }

    /**
     * The hub's {@code backup-restore} on the backup thread (no backup meanwhile); fails at once without backups set
     * up on this node ({@link #backups}).
     */
    public java.util.concurrent.CompletableFuture<String> restoreOnCommand(Optional<java.time.Instant> target) {
        return backups == null ? java.util.concurrent.CompletableFuture.failedFuture(new IllegalStateException(
                "no restore: backups are not set up on this node (pg.socket-dir, pg.secret-file)"))
                : backups.restoreNow(target, this::restore);
    }

    /**
     * This standby rebuilt ({@link HaSupervisor#rebuild}): from its primary (a base backup; after the primary's
     * restore), or {@code fromRepository}: from the backup repository's newest backup and archived WAL, streaming the
     * rest (a replaced disk, without loading the primary with a whole copy; {@link
     * io.geminik8s.agent.backup.BackupRestore#rebuildStandby}).
     */
    public java.util.concurrent.CompletableFuture<String> rebuildStandby(io.geminik8s.protocol.StandbySource from) {
        HaSupervisor s = supervisor;
        if (s == null) {
            return java.util.concurrent.CompletableFuture.failedFuture(new IllegalStateException(
                    "no rebuild: HA is not running (a restore on this node?)"));
        }
        if (from == io.geminik8s.protocol.StandbySource.PRIMARY) {
            return s.rebuild();
        }
        if (backups == null) {
            return java.util.concurrent.CompletableFuture.failedFuture(new IllegalStateException("no rebuild from the"
                    + " repository: backups are not set up on this node (pg.socket-dir, pg.secret-file)"));
        }
        if (from == io.geminik8s.protocol.StandbySource.PEER) {
            return backups.configuredPeer().thenCompose(repo -> s.rebuild(new StandbyCopy("the peer repository on"
                    + " this node's disk", (epoch, holder) -> driver.recloneWith(() ->
                    io.geminik8s.agent.backup.BackupRestore.rebuildStandby(local, repo, peer)))));
        }
        return backups.configured("rebuild from the repository").thenCompose(tool -> s.rebuild(new StandbyCopy(
                "the backup repository", (epoch, holder) -> driver.recloneWith(() ->
                        io.geminik8s.agent.backup.BackupRestore.rebuildStandby(local, tool, peer)))));
    }

    /**
     * After this node's certificate was renewed (on the hub's rotation command): PostgreSQL gets a new TLS key and
     * certificate (reloaded) and K3s re-issues its own. What was done, for the command's answer; throws when
     * K3s could not rotate. Called on the renewal's own thread, never the HA thread.
     */
    public String certificateRenewed() {
        String pg = local.rotateTls();
        return pg + "; " + k3s.rotateCertificates();
    }

    /** An operator's force-promote request (see {@link ForcePromoteRequest}), answered and audited. */
    private void operatorRequests() {
        try {
            Optional<String> untrusted = ForcePromoteRequest.untrusted(stateDir);
            if (untrusted.isPresent()) {
                LOG.severe("HA " + site + "/" + node + ": force-promote refused: " + untrusted.get());
                ForcePromoteRequest.refuseUntrusted(stateDir, untrusted.get());
                events.record("ha.force-promote-refused", io.geminik8s.protocol.Severity.CRITICAL,
                        "request not trusted: " + untrusted.get(), java.util.Map.of("operator", "unknown"));
                return;
            }
            ForcePromoteRequest.take(stateDir).ifPresent(r -> {
                LOG.warning(() -> "HA " + site + "/" + node + ": force-promote requested by " + r.operator() + ": "
                        + r.reason());
                try {
                    long epoch = supervisor.forcePromote(r.operator(), r.reason());
                    r.answer(stateDir, true, node + " holds epoch " + epoch + " (the hub records it when reachable)");
                } catch (IllegalStateException e) {
                    r.answer(stateDir, false, e.getMessage());
                }
            });
        } catch (IOException | RuntimeException e) {
            LOG.warning("force-promote request not handled: " + e);
        }
    }

    /**
     * Backups of this node's database as the applied desired state's {@code spec.backup} says
     * (io.geminik8s.agent.backup, docs/backup.md), taken only while this node holds its epoch; empty without
     * {@code pg.socket-dir} and {@code pg.secret-file} (the socket for pgBackRest, the secret for the repository
     * key). Started with the supervisor; call before {@link #start()}.
     */
    public Optional<io.geminik8s.agent.backup.BackupLoop> backups(
            java.util.function.Supplier<java.util.Map<String, ?>> spec) {
        if (ha.pgSocketDir() == null || ha.pgSecret() == null) {
            return Optional.empty();
        }
        backupSpec = spec;
        var tool = new io.geminik8s.agent.backup.PgBackRest(local, site, ha.pgSocketDir());
        var service = new io.geminik8s.agent.backup.BackupService(tool,
                io.geminik8s.agent.backup.BackupKey.of(ha.pgSecret()), java.time.Clock.systemUTC(), events::record);
        // the peer repository (if the template asks for one); the peer's paths are this node's unless set
        var self = new io.geminik8s.agent.backup.PeerRepository.Side(node, ha.pgHost(), 0, ha.pgData(), ha.pgPort(),
                ha.pgSocketDir());
        var other = new io.geminik8s.agent.backup.PeerRepository.Side(ha.peerNode(), ha.pgPeerHost(), 0,
                ha.pgPeerData(), ha.pgPeerPort(), ha.pgPeerSocketDir());
        service.withPeer(new io.geminik8s.agent.backup.PeerRepository(tool, self, other),
                io.geminik8s.agent.backup.BackupKey.peer(ha.pgSecret()),
                io.geminik8s.agent.backup.BackupKey.tlsCaSeed(ha.pgSecret()));
        backups = new io.geminik8s.agent.backup.BackupLoop(service, spec, () -> {
            HaSupervisor s = supervisor;
            return s == null ? new io.geminik8s.agent.backup.BackupPlanner.Role(PairMachine.State.CANDIDATE, false)
                    : new io.geminik8s.agent.backup.BackupPlanner.Role(s.state(), s.leaseUntil() > now());
        });
        return Optional.of(backups);
    }

    public HaSupervisor supervisor() {
        return supervisor;
    }

    /** The upgrade's view of this pair; {@code vipCheckPort}: the port on the VIP that proves it answers (0: none). */
    public io.geminik8s.agent.upgrade.PairView pairView(int vipCheckPort) {
        String address = ha.vipCidr().substring(0, ha.vipCidr().indexOf('/'));
        return new HaPairView(this::supervisor, local, vipCheckPort <= 0 ? null
                : new java.net.InetSocketAddress(address, vipCheckPort));
    }

    /** The node's own PostgreSQL, for a template's settings (an upgrade's). */
    public io.geminik8s.agent.upgrade.PgSettingsTarget pgSettings() {
        return new io.geminik8s.agent.upgrade.PgSettingsTarget() {
            @Override
            public java.util.Set<String> apply(java.util.Map<String, String> desired,
                                               java.util.Map<String, String> previous) {
                return io.geminik8s.agent.pg.PgSettings.apply(local, desired, previous);
            }

            @Override
            public java.util.Set<String> restartNeeded(java.util.Collection<String> names) {
                return io.geminik8s.agent.pg.PgSettings.restartNeeded(local, names);
            }

            @Override
            public void restart() {
                local.stop();
                local.start();
            }
        };
    }

    /** The node's K3s service (restarted after an upgrade replaced its binary). */
    public K3sDriver k3s() {
        return k3s;
    }

    public PgControl database() {
        return local;
    }

    /** Power-off semantics: the supervisor and this node's PostgreSQL stop without a word. */
    @Override
    public void close() {
        operator.shutdownNow();
        if (backups != null) {
            backups.close();
        }
        if (supervisor != null) {
            supervisor.close();
        }
        local.close();
    }

    private record Answer(WitnessReply reply, long sentAt) {
    }

    /**
     * The witness's answer to a bootstrap request, asked again until it comes (the agent's link may still be
     * connecting: one request waits only 2 s); with the send time of the request answered, for the lease.
     */
    private Answer askWitness(Op op, long epoch, Long sinceLastAckMs) throws InterruptedException {
        long deadline = System.nanoTime() + BOOTSTRAP_PATIENCE.toNanos();
        for (int attempt = 1; ; attempt++) {
            long sentAt = now();
            try {
                return new Answer(witness.ask(op, epoch, null, sinceLastAckMs).get(30, TimeUnit.SECONDS), sentAt);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the witness did not answer " + op + " within "
                            + BOOTSTRAP_PATIENCE.toMinutes() + " minutes", e);
                }
                int n = attempt;
                LOG.warning(() -> "HA " + site + "/" + node + ": no answer from the witness to " + op + " (attempt " + n
                        + "): " + e.getCause());
                TimeUnit.MILLISECONDS.sleep(500); // a retry interval, the next ask waits for the answer
            }
        }
    }

    /** A rejoin at start that fails (the peer unreachable, the old data kept) is tried again every 5 s. */
    private void rejoinAtStart(long epoch, String holder) throws InterruptedException {
        long deadline = System.nanoTime() + BOOTSTRAP_PATIENCE.toNanos();
        while (true) {
            try {
                driver.rejoin(epoch, holder);
                return;
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                LOG.warning("HA " + site + "/" + node + ": rejoining " + holder + " failed, again in "
                        + PairMachine.REJOIN_RETRY_MS + " ms: " + e.getMessage());
                TimeUnit.MILLISECONDS.sleep(PairMachine.REJOIN_RETRY_MS); // a retry interval
            }
        }
    }

    /**
     * A fresh standby's copy of its peer, once the peer answers as a primary ({@link #awaitPeerDatabase}), tried again
     * every 5 s when it fails (for BOOTSTRAP_PATIENCE from the first failure): the peer may be a node rebuilding the
     * site from its repository, whose server runs only for the restore's recovery and a moment after its promotion,
     * then stops and starts again as primary once its epoch is renewed. A failed copy leaves the data directory as it
     * was (empty).
     */
    private void cloneAtStart() throws InterruptedException {
        long deadline = 0;
        while (true) {
            awaitPeerDatabase();
            try {
                local.cloneFrom(peer);
                return;
            } catch (RuntimeException e) {
                deadline = deadline == 0 ? System.nanoTime() + BOOTSTRAP_PATIENCE.toNanos() : deadline;
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                LOG.warning("HA " + site + "/" + node + ": copying " + ha.peerNode() + " failed, again in "
                        + PairMachine.REJOIN_RETRY_MS + " ms: " + e.getMessage());
                TimeUnit.MILLISECONDS.sleep(PairMachine.REJOIN_RETRY_MS); // a retry interval
            }
        }
    }

    /**
     * Until the peer's PostgreSQL answers as a primary, polled every 500 ms: a server still in recovery (a restore's,
     * to a target or the last archived WAL, before its promotion) is no source for a copy or a rewind. Gives up when
     * the peer was unreachable for BOOTSTRAP_PATIENCE in a row, or in recovery for longer than a restore's recovery
     * may take ({@link #PEER_RECOVERY_PATIENCE}).
     */
    private void awaitPeerDatabase() throws InterruptedException {
        long recoveryDeadline = System.nanoTime() + PEER_RECOVERY_PATIENCE.toNanos();
        long unreachableSince = -1;
        while (true) {
            boolean recovering;
            try {
                recovering = peer.inRecovery();
            } catch (IllegalStateException unreachable) {
                if (!(unreachable.getCause() instanceof java.sql.SQLException)) {
                    throw unreachable; // not the peer's answer missing: a fault of this node, not retried
                }
                unreachableSince = unreachableSince < 0 ? System.nanoTime() : unreachableSince;
                if (System.nanoTime() - unreachableSince > BOOTSTRAP_PATIENCE.toNanos()) {
                    throw new IllegalStateException("peer PostgreSQL " + ha.pgPeerHost() + ":" + ha.pgPeerPort()
                            + " unreachable for " + BOOTSTRAP_PATIENCE.toMinutes() + " minutes", unreachable);
                }
                TimeUnit.MILLISECONDS.sleep(500); // polling a remote service, not standing in for a condition
                continue;
            }
            unreachableSince = -1;
            if (!recovering) {
                return;
            }
            if (System.nanoTime() > recoveryDeadline) {
                throw new IllegalStateException("peer PostgreSQL " + ha.pgPeerHost() + ":" + ha.pgPeerPort()
                        + " still in recovery after " + PEER_RECOVERY_PATIENCE.toMinutes()
                        + " minutes: no primary to copy");
            }
            TimeUnit.MILLISECONDS.sleep(500); // polling a remote service, not standing in for a condition
        }
    }

    /**
     * The epoch last held or followed; 0 when unknown (also for a damaged file): a standby then follows whatever
     * epoch it hears, a former primary asks the witness for epoch 0, is refused and rejoins. Never more than it was.
     */
    private long readEpoch() {
        try {
            return DurableFiles.readLong(epochFile).orElse(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void saveEpoch(long epoch) {
        try {
            DurableFiles.privateDirectory(epochFile.getParent());
            DurableFiles.writeString(epochFile, Long.toString(epoch));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isEmpty(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return true;
        }
        try (var s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    private static long now() {
        return System.nanoTime() / 1_000_000;
    }

    private static final K3sDriver NO_K3S = new K3sDriver() {
        public void stop() {
        }

        public String rotateCertificates() {
            return "no K3s";
        }

        public void start() {
        }

        public void restartIfWanted() {
        }

        @Override
        public void restart() {
        }

        public void bumpKineIdSequence() {
        }
    };
}
