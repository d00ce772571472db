package io.geminik8s.agent.upgrade;

import com.fasterxml.jackson.databind.JsonNode;
import io.geminik8s.agent.artifact.ArtifactStore;
import io.geminik8s.protocol.Artifact;
import io.geminik8s.protocol.Codec;
import io.geminik8s.protocol.Health;
import io.geminik8s.protocol.Severity;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Carries out {@link UpgradePlan}'s decisions for the K3s version of the newest applied desired state, on a thread of
 * its own: the record is written before each step (installing, verifying, rolling-back, switching-over), so a crash
 * at any step resumes it at the next start. A standby that does not prove the new version (version, K3s ready,
 * streaming) within {@code verifyTimeout} is rolled back and reports {@code failed}; the primary never stopped.
 */
public final class UpgradeCoordinator implements AutoCloseable {

    /** The newest applied desired state: its generation and spec. */
    public record Desired(long generation, JsonNode spec) {
    }

    /** Where the coordinator reports (the agent's journal). */
    public interface Events {
        void event(String type, Severity severity, String message, Map<String, String> attrs);
    }

    private static final Logger LOG = Logger.getLogger(UpgradeCoordinator.class.getName());

    private final Path recordFile;
    private final Supplier<Desired> desired;
    private final K3sVersions k3s;
    private final PgSettingsTarget settings;
    private final AgentUpdate agent;
    private final CertificateFolder certs;
    private final PairView pair;
    private final ArtifactStore artifacts;
    private final BooleanSupplier hubReachable;
    private final Events events;
    private final Duration verifyTimeout;
    private final Codec json = new Codec();
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gk8s-upgrade");
        t.setDaemon(true);
        return t;
    });
    private volatile UpgradeRecord record;
    private final RuntimeView view;
    private final DesiredFiles desiredFiles = new DesiredFiles();
    private String waitingFor; // the artifact a fetch is still under way for (said once)

    public UpgradeCoordinator(Path stateDir, Supplier<Desired> desired, K3sVersions k3s, PairView pair,
                              ArtifactStore artifacts, BooleanSupplier hubReachable, Events events,
                              Duration verifyTimeout) {
        this(stateDir, desired, k3s, null, pair, artifacts, hubReachable, events, verifyTimeout);
    }

    /** {@code settings}: the node's PostgreSQL, for a template's settings (null: they are not managed here). */
    public UpgradeCoordinator(Path stateDir, Supplier<Desired> desired, K3sVersions k3s, PgSettingsTarget settings,
                              PairView pair, ArtifactStore artifacts, BooleanSupplier hubReachable, Events events,
                              Duration verifyTimeout) {
        this(stateDir, desired, new Drivers(k3s, settings, null, null), pair, artifacts, hubReachable, events,
                verifyTimeout);
    }

    /**
     * What the upgrade changes on the node: K3s's version, PostgreSQL's settings, the agent itself and the
     * template's certificate files; every one but K3s optional (null: not managed here).
     */
    public record Drivers(K3sVersions k3s, PgSettingsTarget settings, AgentUpdate agent, CertificateFolder certs) {
    }

    public UpgradeCoordinator(Path stateDir, Supplier<Desired> desired, Drivers drivers, PairView pair,
                              ArtifactStore artifacts, BooleanSupplier hubReachable, Events events,
                              Duration verifyTimeout) {
        K3sVersions k3s = drivers.k3s();
        this.settings = drivers.settings();
        this.agent = drivers.agent();
        this.certs = drivers.certs();
        try {
            io.geminik8s.agent.state.DurableFiles.privateDirectory(stateDir);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        this.recordFile = stateDir.resolve("upgrade.json");
        this.desired = desired;
        this.k3s = k3s;
        this.pair = pair;
        this.view = new RuntimeView(k3s, pair);
        this.artifacts = artifacts;
        this.hubReachable = hubReachable;
        this.events = events;
        this.verifyTimeout = verifyTimeout;
        this.record = UpgradeRecord.load(recordFile).orElse(null);
    }

    public void start(Duration every) {
        thread.scheduleWithFixedDelay(this::tick, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The newest generation whose upgrade finished on this node (0: none). */
    public long settled() {
        UpgradeRecord r = record;
        return r == null ? 0 : r.settled();
    }

    /** What runs on the node, as of the last tick; null before the first. */
    public Health.Runtime runtime() {
        return view.runtime();
    }

    /** One decision and its step; public for tests, which drive it without the timer. */
    public synchronized void tick() {
        try {
            Desired d = desired.get();
            String running = k3s.running();
            view.observe(running, false, record);
            if (d == null) {
                return;
            }
            String target = DesiredTarget.k3sVersion(d.spec());
            UpgradeRecord r = record;
            boolean hub = hubReachable.getAsBoolean();
            pair.announce(r == null ? null : r.announce(hub));
            Map<String, String> want = DesiredTarget.settings(d.spec());
            Map<String, String> applied = r == null ? Map.of() : r.settings();
            boolean changed = settings != null && !want.equals(applied);
            PairView.Role role = pair.role();
            // asked of the server only where a decision needs it (a fenced or rejoining node's is down)
            boolean restart = changed && role != PairView.Role.OTHER
                    && !settings.restartNeeded(DesiredTarget.changedNames(want, applied)).isEmpty();
            String agentTo = agentTarget(d);
            Map<String, String> files = desiredFiles.of(d); // null: refused (install says why)
            boolean filesChanged = certs != null && (files == null
                    || !files.equals(r == null ? Map.of() : r.certificateFiles()));
            UpgradePlan.Next next = UpgradePlan.decide(new UpgradePlan.Input(d.generation(), target, running,
                    role, pair.peerProgress(), pair.peerSynchronous(), hub, r, changed, restart,
                    agentTo != null || filesChanged));
            switch (next) {
                case NOTHING -> { }
                case SETTLE -> save(new UpgradeRecord(d.generation(), "done", running, running, null, d.generation(),
                        applied), "upgrade.done", Severity.INFO, "generation " + d.generation()
                        + " names no K3s version" + (changed ? "" : " and no settings to change"));
                case DONE -> save(new UpgradeRecord(d.generation(), "done", from(r, d, running), target, null,
                        d.generation(), applied), "upgrade.done", Severity.INFO, "K3s " + target + " runs and is ready");
                case APPLY_IN_PLACE -> applyInPlace(d, running, target, want, applied);
                case WAIT_FOR_STANDBY -> {
                    if (r == null || r.generation() != d.generation() || !"waiting-for-standby".equals(r.step())) {
                        save(new UpgradeRecord(d.generation(), "waiting-for-standby", running, target, null,
                                settled()), "upgrade.waiting-for-standby", Severity.INFO,
                                "K3s " + target + ": the standby upgrades first");
                    }
                }
                case HAND_OVER -> handOver(d, running, target);
                case INSTALL -> install(d, from(r, d, running), target, want, applied);
                case RESUME_AGENT -> resumeAgent(d, r, want);
                case ROLLBACK -> rollBack(r, r.error() != null ? r.error() : r.generation() < d.generation()
                        ? "interrupted, then overtaken by generation " + d.generation()
                        : "interrupted; this node is " + role + " now, not the standby", want);
            }
            view.observe(k3s.running(), next != UpgradePlan.Next.NOTHING, record);
            pair.announce(record == null ? null : record.announce(hubReachable.getAsBoolean()));
        } catch (RuntimeException e) {
            LOG.warning("upgrade tick failed: " + e);
        }
    }

    private void handOver(Desired d, String running, String target) {
        save(new UpgradeRecord(d.generation(), "switching-over", running, target, null, settled()),
                "upgrade.switching-over", Severity.INFO, "the standby runs K3s " + target
                        + " and streams: planned switchover");
        if (!pair.handOver()) {
            save(record.with("waiting-for-standby", null), "upgrade.waiting-for-standby", Severity.WARNING,
                    "switchover not started: the standby is not synchronous any more");
        }
    }

    /** Settings a reload takes, on either node, where it stands: no restart, no switchover. */
    private void applyInPlace(Desired d, String running, String target, Map<String, String> want,
                              Map<String, String> applied) {
        save(new UpgradeRecord(d.generation(), "installing", running, target, null, settled(), applied)
                        .trying(want, null),
                "upgrade.installing", Severity.INFO, "PostgreSQL settings " + DesiredTarget.changedNames(want, applied)
                        + " (a reload takes them)");
        try {
            java.util.Set<String> pending = settings.apply(want, applied);
            if (!pending.isEmpty()) { // PostgreSQL says otherwise than it did a moment ago: never restart in place
                rollBack(record, "settings " + pending + " need a restart", want);
                return;
            }
        } catch (RuntimeException e) {
            rollBack(record, e.getMessage(), want);
            return;
        }
        save(new UpgradeRecord(d.generation(), "done", running, target, null, d.generation(), want), "upgrade.done",
                Severity.INFO, "PostgreSQL settings applied (reloaded)");
    }

    private void install(Desired d, String from, String target, Map<String, String> want,
                         Map<String, String> applied) {
        if (certs != null && desiredFiles.of(d) == null) {
            fail(d, from, target, "certificate files refused, nothing installed: " + desiredFiles.problem(d));
            return;
        }
        String agentTo = agentTarget(d);
        if (agentTo != null) {
            Path bundle = artifact(d, from, target, "agent", agentTo);
            if (bundle == null) {
                return;
            }
            try {
                agent.stage(bundle, agentTo); // a signed bundle that is no agent release is refused alike
            } catch (RuntimeException e) {
                fail(d, from, target, "artifact agent " + agentTo + " refused, nothing installed: " + e.getMessage());
                return;
            }
        }
        boolean newK3s = target != null && !target.equals(k3s.running());
        if (!newK3s) {
            installSettings(d, from, target, want, applied);
            return;
        }
        String downgrade = DesiredTarget.minorDowngrade(k3s.running(), target);
        if (downgrade != null) {
            fail(d, from, target, downgrade);
            return;
        }
        Path file = null;
        if (k3s.needsArtifact() && (file = artifact(d, from, target, "k3s", target)) == null) {
            return; // already staged by the stager in the usual case; else fetched here
        }
        save(new UpgradeRecord(d.generation(), "installing", from, target, null, settled(), applied)
                .trying(want, certs == null ? null : desiredFiles.of(d)),
                "upgrade.installing", Severity.INFO, "installing K3s " + target + " (from " + from + ")");
        try {
            k3s.install(file, target);
        } catch (RuntimeException e) {
            rollBack(record, "install failed: " + e.getMessage(), want);
            return;
        }
        installSettings(d, from, target, want, applied);
    }

    /** The checked artifact {@code name version}, or null: the generation failed on it, or it is still fetched. */
    private Path artifact(Desired d, String from, String target, String name, String version) {
        Artifact a = DesiredTarget.artifact(json, d.spec(), name, version);
        if (a == null) {
            fail(d, from, target, "no signed artifact named " + name + " with version " + version
                    + " in the desired state");
            return null;
        }
        try {
            Path file = artifacts.stage(a);
            waitingFor = null;
            return file;
        } catch (ArtifactStore.Refused e) {
            fail(d, from, target, "artifact " + name + " " + version + " refused, nothing installed: " + e.getMessage());
        } catch (IOException e) {
            if (!version.equals(waitingFor)) {
                waitingFor = version;
                events.event("upgrade.waiting-for-artifact", Severity.INFO, ("k3s".equals(name) ? "K3s " : name + " ")
                        + version + ": " + e.getMessage() + "; tried again",
                        Map.of("generation", Long.toString(d.generation())));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return null;
    }

    /** The settings (restarting the server when they need it: a standby here), then the proof of it all. */
    private void installSettings(Desired d, String from, String target, Map<String, String> want,
                                 Map<String, String> applied) {
        if (record == null || !"installing".equals(record.step()) || record.generation() != d.generation()) {
            save(new UpgradeRecord(d.generation(), "installing", from, target, null, settled(), applied)
                    .trying(want, certs == null ? null : desiredFiles.of(d)),
                    "upgrade.installing", Severity.INFO, want.equals(applied) ? "agent " + agentTarget(d)
                            : "PostgreSQL settings " + DesiredTarget.changedNames(want, applied));
        }
        if (settings != null && !want.equals(applied)) {
            try {
                if (!settings.apply(want, applied).isEmpty()) {
                    settings.restart(); // the standby's own server: the primary waits for it, as for any restart
                }
            } catch (RuntimeException e) {
                rollBack(record, "settings: " + e.getMessage(), want);
                return;
            }
        }
        boolean newK3s = target != null && !target.equals(from);
        Map<String, String> files = certs == null ? null : desiredFiles.of(d);
        Map<String, String> filesBefore = record.certificateFiles();
        if (files != null && !files.equals(filesBefore)) {
            try {
                certs.apply(files);
                k3s.restart(); // K3s reads them at its start: a standby's here, as for a new K3s
            } catch (RuntimeException e) {
                rollBack(record, "certificate files: " + e.getMessage(), want);
                return;
            }
        }
        save(record.with("verifying", null), "upgrade.verifying", Severity.INFO, (newK3s ? "K3s " + target
                + " installed" : "K3s " + (target == null ? "unmanaged" : target + " unchanged"))
                + (want.equals(applied) ? "" : "; settings applied"));
        String why = proveWithin(target, verifyTimeout);
        if (why == null && pair.role() != PairView.Role.STANDBY) { // promoted meanwhile: never restarted as primary
            why = "this node is " + pair.role() + " now, not the standby";
        }
        if (why == null && files != null && !certs.holds(files)) {
            why = "the certificate files in " + certs.dir() + " are not the template's";
        }
        String agentTo = agentTarget(d);
        if (why == null && agentTo != null) {
            save(record.with("restarting-agent", null).withAgent(agent.running(), agentTo),
                    "upgrade.restarting-agent", Severity.INFO, "agent " + agentTo + " staged; restarting into it on"
                            + " trial: it must reach the hub within " + verifyTimeout.toSeconds() + " s");
            startAgentTrial(record, want);
        } else if (why == null) {
            save(new UpgradeRecord(d.generation(), "done", from, target, null, d.generation(), settings == null
                    ? applied : want).withCertificates(files), "upgrade.done", Severity.INFO, (target == null ? "settings" : "K3s " + target)
                    + " in place, ready, and the database streams");
        } else {
            rollBack(record, why, want);
        }
    }

    /**
     * After the restart into a new agent: this process is the version on trial (prove it reaches the hub, and that
     * K3s and the database still do, then confirm) or the old one again (the trial crashed, hung or lost power: roll
     * the generation back and report it failed).
     */
    private void resumeAgent(Desired d, UpgradeRecord r, Map<String, String> want) {
        String to = r.agentTo();
        if (agent == null || to == null) {
            rollBack(r, "the agent's own update is not managed here", want);
        } else if (to.equals(agent.running())) {
            // one deadline: K3s as the generation left it, the hub, and the pair supervised again — a streaming
            // standby, or the primary if the peer died meanwhile (then this agent's HA took over: proof enough)
            String why = Await.within(verifyTimeout, () -> {
                String k = k3sReason(r.to());
                PairView.Role role = pair.role();
                return k != null ? k : !hubReachable.getAsBoolean() ? "the hub not reached"
                        : role == PairView.Role.PRIMARY || (role == PairView.Role.STANDBY && pair.streaming()) ? null
                        : "not a streaming standby again (" + role + ")";
            });
            if (why == null) {
                agent.confirm(to);
                save(new UpgradeRecord(r.generation(), "done", r.from(), r.to(), null,
                        Math.max(r.settled(), r.generation()), settings == null ? r.settings()
                        : r.triedSettings() != null ? r.triedSettings() : want, r.agentFrom(), to,
                        certs == null ? null : r.triedCertificates() != null ? r.triedCertificates()
                        : desiredFiles.of(d), null, null), "upgrade.done", Severity.INFO,
                        "agent " + to + " reaches the hub" + (r.to() == null ? "" : "; K3s " + r.to() + " ready"));
                return;
            }
            why = "agent " + to + ": " + why + " within " + verifyTimeout.toSeconds() + " s";
            boolean primary = pair.role() == PairView.Role.PRIMARY;
            rollBack(r, why, want);
            agent.abandon(to, r.generation());
            if (!primary && pair.role() != PairView.Role.PRIMARY) {
                agent.restart(); // back to the previous version, which finds the generation failed
            } // a primary's agent never ends itself: the previous version comes back at its next start
        } else if (to.equals(agent.pendingTrial())) {
            agent.abandon(to, r.generation());
            rollBack(r, "agent " + to + " was not started: this agent runs without its launcher (gk8s-agent), which"
                    + " starts a new version", want);
        } else if (agent.trialFailed(to, r.generation())) {
            rollBack(r, "agent " + to + " did not confirm that it reaches the hub (it crashed, hung or lost power):"
                    + " the launcher went back to " + agent.running(), want);
        } else if (pair.role() == PairView.Role.STANDBY) {
            startAgentTrial(r, want); // a crash came before the trial was begun
        } else {
            rollBack(r, "agent " + to + " not started: this node is " + pair.role() + " now, not the standby", want);
        }
    }

    private void startAgentTrial(UpgradeRecord r, Map<String, String> want) {
        try {
            agent.startTrial(r.agentTo(), r.generation());
        } catch (RuntimeException e) {
            rollBack(r, "agent " + r.agentTo() + ": " + e.getMessage(), want);
            return;
        }
        LOG.info("upgrade: restarting into agent " + r.agentTo());
        agent.restart();
    }

    /**
     * The agent version the spec names when it differs from this process's and the spec carries its signed release
     * (an {@code agent} artifact of that version); else null: without a release to update from, the package manager
     * updates the agent and the template's version says what it expects (docs/upgrades.md).
     */
    private String agentTarget(Desired d) {
        String v = agent == null ? null : DesiredTarget.agentVersion(d.spec());
        return v == null || v.equals(agent.running()) || DesiredTarget.artifact(json, d.spec(), "agent", v) == null
                ? null : v;
    }

    /**
     * Puts back what {@code r}'s generation changed: what it tried and what the newest generation names are reset
     * to what was in place before. Restarts (K3s, PostgreSQL) only on a standby: on any other node the binary and
     * the files stay as they are and settings are reloaded only, and the reason says so.
     */
    private void rollBack(UpgradeRecord r, String why, Map<String, String> want) {
        save(r.with("rolling-back", why), "upgrade.rolling-back", Severity.WARNING, "K3s " + r.to() + ": " + why
                + "; back to " + r.from());
        boolean standby = pair.role() == PairView.Role.STANDBY;
        String back;
        try {
            Map<String, String> touched = new java.util.TreeMap<>(want);
            if (r.triedSettings() != null) {
                touched.putAll(r.triedSettings());
            }
            if (settings != null && !touched.equals(r.settings()) && !settings.apply(r.settings(), touched).isEmpty()
                    && standby) {
                settings.restart();
            }
            if (!standby) {
                back = "this node is " + pair.role() + " now: nothing restarted (K3s as it runs, " + k3s.running() + ")";
            } else {
                if (r.to() != null && r.from() != null && !r.to().equals(r.from())
                        && !r.from().equals(k3s.running())) {
                    k3s.rollback();
                }
                if (certs != null && !certs.holds(r.certificateFiles())) {
                    certs.apply(r.certificateFiles()); // what was in place, written back; others removed
                    k3s.restart();
                }
                back = proveWithin(r.from(), verifyTimeout);
            }
        } catch (RuntimeException e) {
            back = "rollback failed: " + e.getMessage();
        }
        String error = back == null ? why : why + "; and " + back + (standby ? " (recover by hand: docs/upgrades.md)"
                : "");
        save(new UpgradeRecord(r.generation(), "failed", r.from(), r.to(), error, r.settled(), r.settings(),
                r.agentFrom(), r.agentTo(), r.certificates(), null, null), "upgrade.failed", Severity.CRITICAL,
                "K3s " + r.to() + " not taken: " + error);
    }

    private void fail(Desired d, String from, String target, String why) {
        save(new UpgradeRecord(d.generation(), "failed", from, target, why, settled()), "upgrade.failed",
                Severity.CRITICAL, why);
    }

    /** Null when {@code version} runs, is ready and (on a standby) the database streams within {@code t}. */
    private String proveWithin(String version, Duration t) {
        return Await.within(t, () -> {
            String k = k3sReason(version);
            return k != null ? (k.endsWith("not ready") ? k + " within " + t.toSeconds() + " s" : k)
                    : pair.role() == PairView.Role.STANDBY && !pair.streaming() ? "the database does not stream"
                    : null;
        });
    }

    /** Why K3s is not {@code version} and ready now, or null. */
    private String k3sReason(String version) {
        String running = k3s.running();
        boolean ready = k3s.ready();
        view.observeReady(running, ready, record);
        return version != null && !version.equals(running) ? "K3s reports " + running + ", not " + version
                : !ready ? "K3s " + version + " not ready" : null;
    }

    private void save(UpgradeRecord r, String type, Severity severity, String message) {
        if (r.certificates() == null && record != null) {
            r = r.withCertificates(record.certificates()); // the files in place stay what they were
        }
        r.save(recordFile);
        record = r;
        events.event(type, severity, message, Map.of("generation", Long.toString(r.generation()),
                "step", r.step(), "to", String.valueOf(r.to())));
        LOG.info("upgrade: " + message);
    }

    private static String from(UpgradeRecord r, Desired d, String running) {
        return r != null && r.generation() == d.generation() && r.from() != null ? r.from() : running;
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
