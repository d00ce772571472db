package io.geminik8s.agent;

import io.geminik8s.agent.config.AgentConfig;
import io.geminik8s.agent.enroll.RenewCommand;
import io.geminik8s.agent.ha.WitnessClient;
import io.geminik8s.agent.journal.EventLog;
import io.geminik8s.agent.journal.Journal;
import io.geminik8s.agent.link.Backoff;
import io.geminik8s.agent.link.Link;
import io.geminik8s.agent.link.SessionBase;
import io.geminik8s.agent.probe.CertProbe;
import io.geminik8s.agent.probe.PgProbe;
import io.geminik8s.agent.probe.SystemProbe;
import io.geminik8s.agent.reconcile.CommandHandler;
import io.geminik8s.agent.reconcile.DesiredReconciler;
import io.geminik8s.agent.reconcile.DesiredStateStore;
import io.geminik8s.agent.upgrade.K3sVersions;
import io.geminik8s.agent.upgrade.PairView;
import io.geminik8s.agent.upgrade.UpgradeCoordinator;
import io.geminik8s.protocol.Birth;
import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.Command;
import io.geminik8s.protocol.Decoded;
import io.geminik8s.protocol.DesiredState;
import io.geminik8s.protocol.Health;
import io.geminik8s.protocol.Kind;
import io.geminik8s.protocol.Message;
import io.geminik8s.protocol.Role;
import io.geminik8s.protocol.SchemaVersion;
import io.geminik8s.protocol.Severity;
import io.geminik8s.protocol.Status;
import io.geminik8s.protocol.Topics;
import io.geminik8s.protocol.WitnessReply;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * One edge agent: phones home (birth on every connect, health every interval, journaled events), answers commands
 * and takes desired state. All agent work runs on one scheduler thread; MQTT I/O on the link's own thread.
 */
public final class Agent implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Agent.class.getName());
    public static final String VERSION = Optional.ofNullable(Agent.class.getPackage().getImplementationVersion())
            .orElse("dev");

    private final AgentConfig config;
    private final Clock clock;
    private final Codec codec = new Codec();
    private final ScheduledExecutorService loop;
    private final EventLog events;
    private final Set<Long> inFlight = ConcurrentHashMap.newKeySet();
    private final SystemProbe system;
    private volatile PgProbe pg;
    private final CertProbe certs;
    private final DesiredStateStore desired;
    private final DesiredReconciler reconciler;
    private final io.geminik8s.agent.artifact.ArtifactStore artifactStore;
    private final io.geminik8s.agent.artifact.ArtifactStager artifacts;
    private volatile UpgradeCoordinator upgrades;
    private boolean started;
    private volatile java.util.function.Supplier<Health.Pg> simulatedPostgres;
    private final CommandHandler commands;
    private final Link link;
    private final WitnessClient witness;
    private final java.util.concurrent.atomic.AtomicLong samples = new java.util.concurrent.atomic.AtomicLong();
    private final HealthShaper shaper;

    public Agent(AgentConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.shaper = new HealthShaper(HealthShaper.ackEvery(config.keepalive(), config.healthInterval()));
        this.loop = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gk8s-agent-" + config.site() + "-" + config.node());
            t.setDaemon(true);
            return t;
        });
        this.events = new EventLog(config.site(), config.node(), new Journal(config.journalDir(),
                config.journalMaxEvents()), codec, clock);
        this.system = new SystemProbe(Path.of("/proc"), existingParent(config.stateDir()));
        this.pg = new PgProbe(config.postgres());
        this.certs = new CertProbe(config.watchedCerts());
        this.desired = new DesiredStateStore(config.stateDir());
        this.artifactStore = new io.geminik8s.agent.artifact.ArtifactStore(config.stateDir().resolve("artifacts"),
                config.artifactSigningKey(), java.time.Duration.ofMinutes(30));
        this.artifacts = new io.geminik8s.agent.artifact.ArtifactStager(artifactStore, codec, this::event,
                java.time.Duration.ofSeconds(30));
        this.reconciler = new DesiredReconciler(desired, codec, loop, clock, new DesiredReconciler.Sink() {
            @Override
            public void event(String type, Severity severity, String message, Map<String, String> attrs) {
                Agent.this.event(type, severity, message, attrs);
            }

            @Override
            public void applied(long generation) {
                publishHealth();
            }

            @Override
            public void arrived(io.geminik8s.protocol.DesiredState d) {
                artifacts.offer(d.generation(), d.spec());
            }
        });
        this.commands = new CommandHandler(clock, () -> publishBirth(link().session()));
        this.link = new Link(config, new Backoff(config.backoffInitial(), config.backoffMax()), new Link.Listener() {
            @Override
            public void onConnected(long session) {
                Agent.this.onConnected(session);
            }

            @Override
            public void onMessage(String topic, byte[] payload) {
                Agent.this.onMessage(topic, payload);
            }
        }, this::will, List.of(Topics.desired(config.site()), Topics.command(config.site(), config.node()),
                Topics.down(config.site(), config.node(), Kind.WITNESS_REPLY)), loop,
                SessionBase.next(config.stateDir(), clock.millis()));
        this.witness = new WitnessClient(config.site(), config.node(), codec,
                (topic, payload) -> link.publish(topic, payload, 1, false), Duration.ofSeconds(2));
        link.reconnectQuicklyWhile(() -> witness.askingRepeatedly(WITNESS_URGENCY));
    }

    /** The link counts as needed at once while the HA asks the witness repeatedly (failover, fence: every 0.5 s). */
    private static final Duration WITNESS_URGENCY = Duration.ofSeconds(5);
    /** A QoS 1 health sample's PUBACK is awaited a health interval, at least this long (short test intervals). */
    private static final long MIN_PUBACK_WAIT_MS = 5_000;

    private volatile RenewCommand renewals;
    private volatile io.geminik8s.agent.backup.BackupCommand backupCommand;
    private final Map<String, io.geminik8s.agent.backup.OnceCommand> longCommands = new ConcurrentHashMap<>();

    private Link link() {
        return link;
    }

    /**
     * After a renewal on the hub's command, {@code hook} makes the rest of the node take the new certificate (see
     * {@link RenewCommand#after}); only with {@link #renewOnCommand}.
     */
    public void afterRenewal(java.util.function.Supplier<String> hook) {
        if (renewals != null) {
            renewals.after(hook);
        }
    }

    /** Answers the hub's {@code backup-run} with {@code run} (else {@code unsupported}); before start. */
    public void backupOnCommand(java.util.function.Function<io.geminik8s.agent.backup.BackupType,
            java.util.concurrent.CompletableFuture<String>> run) {
        backupCommand = new io.geminik8s.agent.backup.BackupCommand(run, clock);
    }

    /** Answers the hub's command {@code c.name()} with {@code c} (backup-restore, standby-rebuild); before start. */
    public void onCommand(io.geminik8s.agent.backup.OnceCommand c) {
        longCommands.put(c.name(), c);
    }

    /** The applied desired state's spec (empty before the first, or when its file is damaged). */
    public Map<String, ?> desiredSpec() {
        return desired.specMap(codec);
    }

    /** Answers the hub's {@code renew-certificate} with this renewer (else {@code unsupported}); before start. */
    public void renewOnCommand(io.geminik8s.agent.enroll.Renewer renewer) {
        renewals = new RenewCommand(renewer, link::reconnect, clock, config.backoffMax().plusSeconds(30));
    }

    /**
     * Upgrades the node's K3s to the version its desired state names, pair-aware ({@link UpgradeCoordinator}); health
     * then reports what runs ({@code runtime}) and as applied generation the newest whose upgrade finished here.
     * Once: before or after {@link #start} (HA, which the pair view needs, starts after the agent).
     */
    public synchronized void upgradeWith(K3sVersions k3s, PairView pair, Duration verifyTimeout) {
        upgradeWith(k3s, null, pair, verifyTimeout);
    }

    /** As above, with every driver (the agent's own releases, certificate files: {@code null}, not managed). */
    public synchronized void upgradeWith(K3sVersions k3s, io.geminik8s.agent.upgrade.PgSettingsTarget settings,
                                         PairView pair, Duration verifyTimeout) {
        upgradeWith(new UpgradeCoordinator.Drivers(k3s, settings, null, null), pair, verifyTimeout);
    }

    public synchronized void upgradeWith(UpgradeCoordinator.Drivers drivers, PairView pair, Duration verifyTimeout) {
        if (upgrades != null) {
            throw new IllegalStateException("upgrades are set up already");
        }
        upgrades = new UpgradeCoordinator(config.stateDir(), this::appliedDesired, drivers, pair, artifactStore,
                link::connected, (type, severity, message, attrs) -> {
                    event(type, severity, message, attrs);
                    loop.execute(this::publishHealth); // a step is news for the rollout: no need to wait a sample
                }, verifyTimeout);
        if (started) {
            upgrades.start(Duration.ofSeconds(1));
        }
    }

    /**
     * Health and birth report this probe's view of the local PostgreSQL (an HA node's own server, when no
     * postgres.url is configured: Main); before {@link #start}.
     */
    public void probePostgres(PgProbe probe) {
        pg = probe;
    }

    /** Asks the peer node's artifact folder first (PeerArtifactServer at {@code base}); the bytes are checked alike. */
    public void artifactsFromPeer(java.net.URI base) {
        artifactStore.fromPeer(base);
    }

    /** The demo's nodes run no PostgreSQL: health reports this instead of probing one. Before {@link #start}. */
    public void simulatePostgres(java.util.function.Supplier<Health.Pg> pg) {
        simulatedPostgres = pg;
    }

    private volatile UpgradeCoordinator.Desired appliedDesired;

    /** The applied spec, read from disk once per generation (the upgrade asks every second). */
    private UpgradeCoordinator.Desired appliedDesired() {
        long g = desired.generation();
        UpgradeCoordinator.Desired cached = appliedDesired;
        if (cached != null && cached.generation() == g) {
            return cached;
        }
        return appliedDesired = desired.spec().map(bytes -> {
            try {
                return new UpgradeCoordinator.Desired(g, codec.tree(bytes));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).orElse(null);
    }

    private Health.Pg postgres() {
        java.util.function.Supplier<Health.Pg> sim = simulatedPostgres;
        return sim != null ? sim.get() : pg.configured() ? pg.probe() : null;
    }

    public synchronized void start() {
        started = true;
        LOG.info(() -> "agent " + VERSION + " starting: " + config.clientId() + " -> " + config.brokerUri());
        link.start(); // connects while the start event is journaled (file and folder fsync: 30-50 ms under strace)
        events.record("agent.started", Severity.INFO, "agent " + VERSION + " started", Map.of("version", VERSION));
        loop.execute(this::pump); // the connection may be up already: its own pump ran before the event was there
        long period = config.healthInterval().toMillis();
        loop.scheduleAtFixedRate(this::publishHealth, period, period, TimeUnit.MILLISECONDS);
        if (upgrades != null) {
            upgrades.start(Duration.ofSeconds(1));
        }
    }

    /** Journals an event and sends it when connected. Thread-safe. */
    public Optional<Long> event(String type, Severity severity, String message, Map<String, String> attrs) {
        Optional<Long> seq = events.record(type, severity, message, attrs);
        loop.execute(this::pump);
        return seq;
    }

    /** The hub's witness, over this agent's link (for the HA supervisor). */
    public WitnessClient witness() {
        return witness;
    }

    public EventLog eventLog() {
        return events;
    }

    public boolean connected() {
        return link.connected();
    }

    private Link.Will will(long session) {
        Status offline = new Status(v(), config.site(), config.node(), session, false, clock.millis(), "last-will");
        return new Link.Will(Topics.topicOf(offline), codec.encode(offline));
    }

    private void onConnected(long session) {
        publishBirth(session);
        send(new Status(v(), config.site(), config.node(), session, true, clock.millis(), "connected"));
        inFlight.clear(); // whatever was in flight before the cut is sent again; the hub deduplicates by seq
        pump();
        publishHealth();
    }

    private void publishBirth(long session) {
        Health.Pg pgState = postgres();
        Map<String, String> versions = new java.util.TreeMap<>();
        versions.put("agent", VERSION);
        readFirstLine(Path.of("/proc/sys/kernel/osrelease")).ifPresent(k -> versions.put("kernel", k));
        osName().ifPresent(os -> versions.put("os", os));
        if (pg.serverVersion() != null) {
            versions.put("postgres", pg.serverVersion());
        }
        send(new Birth(v(), config.site(), config.node(), session, clock.millis(), VERSION, hostname(),
                pgState == null ? Role.UNKNOWN : pgState.role(), versions,
                List.of("health", "events", "commands", "desired-state"), config.labels(), desired.generation()));
    }

    private void publishHealth() {
        if (!link.connected()) {
            return; // health is a sample, not a record: while offline it is thinned to nothing
        }
        try {
            SystemProbe.Sample s = system.sample();
            List<Health.CertExpiry> expiries = certs.probe();
            UpgradeCoordinator u = upgrades;
            long applied = u == null ? desired.generation() : Math.min(desired.generation(), u.settled());
            Health.Runtime runtime = u == null ? null : runtime(u.runtime());
            long session = link.session();
            HealthShaper.Shaped out = shaper.shape(new Health(v(), config.site(), config.node(), clock.millis(),
                    s.cpuPct(), s.memUsedBytes(), s.memTotalBytes(), s.diskUsedBytes(), s.diskTotalBytes(),
                    s.uptimeS(), postgres(), expiries.isEmpty() ? null : expiries, applied == 0 ? null : applied,
                    session, samples.incrementAndGet(), runtime));
            var sent = link.publish(Topics.topicOf(out.health()), codec.encode(out.health()), out.qos(), false);
            if (out.qos() == 1) { // the broker's PUBACK proves the connection: none by the next sample, drop it
                long wait = Math.max(config.healthInterval().toMillis(), MIN_PUBACK_WAIT_MS);
                loop.schedule(() -> { // on the agent's own thread (orTimeout would start one more)
                    if (!sent.isDone() && link.session() == session) {
                        link.drop("no PUBACK for a health sample within " + wait + " ms");
                    }
                }, wait, TimeUnit.MILLISECONDS);
            }
        } catch (RuntimeException e) {
            LOG.warning("health sample failed: " + e);
        }
    }

    /** What runs, with the agent's and PostgreSQL's versions beside K3s's. */
    private Health.Runtime runtime(Health.Runtime r) {
        Map<String, String> versions = new java.util.TreeMap<>();
        versions.put("agent", VERSION);
        if (pg.serverVersion() != null) {
            versions.put("postgres", pg.serverVersion());
        }
        if (r == null) {
            return new Health.Runtime(versions, null, null, null);
        }
        if (r.versions() != null) {
            versions.putAll(r.versions());
        }
        return new Health.Runtime(versions, r.k3sReady(), r.vipAnswers(), r.upgrade());
    }

    /** Sends every journaled event that is not in flight; each is removed on PUBACK. Runs on the loop. */
    private void pump() {
        if (!link.connected()) {
            return;
        }
        for (long seq : events.journal().pendingSeqs()) {
            if (!inFlight.add(seq)) {
                continue; // already on its way; only new entries are read from disk
            }
            Optional<byte[]> payload = events.journal().read(seq);
            if (payload.isEmpty()) {
                inFlight.remove(seq);
                continue;
            }
            link.publish(Topics.up(config.site(), config.node(), Kind.EVENT), payload.get(), Kind.EVENT.qos, false)
                    .whenCompleteAsync((ok, err) -> {
                        inFlight.remove(seq);
                        if (err == null) {
                            events.journal().remove(seq);
                            if (events.reportOverflow().isPresent()) {
                                pump();
                            }
                        }
                    }, loop);
        }
    }

    private void onMessage(String topic, byte[] payload) {
        Decoded<Message> d = codec.decode(topic, payload);
        if (d instanceof Decoded.Failed<Message> f) {
            LOG.warning("ignored message on " + topic + ": " + f.error());
            return;
        }
        Message m = d.orThrow();
        if (m instanceof WitnessReply r) {
            witness.onReply(r);
        } else if (m instanceof Command c && renewals != null && RenewCommand.NAME.equals(c.name())) {
            renewals.handle(c).thenAccept(r -> loop.execute(() -> send(r)));
        } else if (m instanceof Command c && backupCommand != null
                && io.geminik8s.agent.backup.BackupCommand.NAME.equals(c.name())) {
            backupCommand.handle(c).thenAccept(r -> loop.execute(() -> send(r)));
        } else if (m instanceof Command c && longCommands.containsKey(c.name())) {
            longCommands.get(c.name()).handle(c).thenAccept(r -> loop.execute(() -> send(r)));
        } else if (m instanceof Command c) {
            send(commands.handle(c));
        } else if (m instanceof DesiredState ds) {
            loop.execute(() -> reconciler.offer(ds));
        }
    }

    private void send(Message m) {
        Kind k = Kind.of(m);
        link.publish(Topics.topicOf(m), codec.encode(m), k.qos, k.retained).whenComplete((ok, err) -> {
            if (err != null) {
                LOG.fine(() -> "publish " + k + " failed: " + err.getMessage());
            }
        });
    }

    /** Graceful stop: mark the node offline (retained), disconnect normally so the broker drops the will. */
    @Override
    public void close() {
        try {
            if (link.connected()) {
                Status offline = new Status(v(), config.site(), config.node(), link.session(), false, clock.millis(),
                        "shutdown");
                link.publish(Topics.topicOf(offline), codec.encode(offline), 1, true).get(3, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            LOG.fine("offline status not sent: " + e.getMessage());
        }
        link.stop();
        if (upgrades != null) {
            upgrades.close();
        }
        artifacts.close();
        loop.shutdownNow();
    }

    private static String v() {
        return SchemaVersion.CURRENT.toString();
    }

    private static Path existingParent(Path p) {
        Path cur = p.toAbsolutePath();
        while (cur != null && !Files.exists(cur)) {
            cur = cur.getParent();
        }
        return cur == null ? Path.of("/") : cur;
    }

    private static Optional<String> readFirstLine(Path p) {
        try {
            return Files.readAllLines(p).stream().findFirst().map(String::trim);
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    private static Optional<String> osName() {
        try {
            return Files.readAllLines(Path.of("/etc/os-release")).stream().filter(l -> l.startsWith("PRETTY_NAME="))
                    .map(l -> l.substring(12).replace("\"", "")).findFirst();
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    private static String hostname() {
        return readFirstLine(Path.of("/proc/sys/kernel/hostname")).orElse(null);
    }
}
