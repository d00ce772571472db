package io.geminik8s.agent.ha;

import io.geminik8s.protocol.Severity;
import io.geminik8s.protocol.WitnessRequest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * Runs a node's {@link PairMachine}: ticks it, sends heartbeats and acks over the {@link PeerLink}, asks the witness,
 * carries actions out through the {@link SiteDriver}, and keeps the {@link LeaseGuard} (fence timer, watchdog) armed
 * on the lease. All machine calls happen on one thread; the fence also fires from the timer's thread if that one
 * stalls, and from the watchdog's process if the whole JVM does, and the machine is told. Journal writes (fsync)
 * are handed to a thread of their own.
 */
public final class HaSupervisor implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(HaSupervisor.class.getName());

    private final String site;
    private final String self;
    private final HaTiming timing;
    private final PairMachine machine;
    private final WitnessPort witness;
    private final SiteDriver driver;
    private final LeaseGuard guard;
    private final HaJournal journal;
    private final ScheduledExecutorService loop;
    private final ScheduledExecutorService probe = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gk8s-ha-probe");
        t.setDaemon(true);
        return t;
    });
    private final SentHeartbeats sent;
    private final ExecutorService work = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "gk8s-ha-rejoin");
        t.setDaemon(true);
        return t;
    });
    private PeerLink peer;
    /** The heartbeat being answered while the machine handles it (its ack names it). */
    private PeerLink.Packet answering;
    private long nextHeartbeat;
    private boolean writing;

    private volatile String peerProgress;
    /** A rebuild asked for ({@link #rebuild}): the next rejoins re-clone, this completes at the first that works. */
    private volatile CompletableFuture<String> rebuilt;
    /** How the rebuild asked for copies the data. */
    private volatile StandbyCopy copy;

    public HaSupervisor(String site, String self, HaTiming timing, PairMachine machine, WitnessPort witness,
                        SiteDriver driver, HaEvents events) {
        this(site, self, timing, machine, witness, driver, events, null);
    }

    /** {@code watchdogs}: starts the node's {@link Watchdog}, given where its firing goes ({@code null}: none). */
    public HaSupervisor(String site, String self, HaTiming timing, PairMachine machine, WitnessPort witness,
                        SiteDriver driver, HaEvents events, Function<Consumer<String>, Watchdog> watchdogs) {
        this.site = site;
        this.self = self;
        this.timing = timing;
        this.machine = machine;
        this.witness = witness;
        this.driver = driver;
        this.sent = new SentHeartbeats(timing.leaseMs());
        this.journal = new HaJournal(events, site + "/" + self);
        this.loop = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gk8s-ha-" + site + "-" + self);
            t.setDaemon(true);
            return t;
        });
        this.guard = new LeaseGuard(driver, watchdogs, (by, generation) -> loop.execute(() -> fired(by, generation)));
    }

    /**
     * How an agent's start writes again as holder of its epoch: {@code database} starts PostgreSQL writable (seconds
     * to minutes: crash recovery; throws {@link io.geminik8s.agent.pg.FencedWhileStarting} when a fence ended it),
     * {@code vip} takes the VIP, {@code k3s} starts K3s, {@code releaseVip} gives the VIP up again.
     */
    public record Resume(Runnable database, Runnable vip, Runnable k3s, Runnable releaseVip) {
    }

    /** Starts with the given peer link (its packets are handed to this supervisor's thread). */
    public void start(java.util.function.Function<Consumer<PeerLink.Packet>, PeerLink> link) {
        start(link, null);
    }

    /**
     * Starts with the given peer link; {@code resume} (non-null for a machine that holds its epoch, at an agent's
     * start) writes again <em>under supervision</em>: the fence timer and the watchdog are armed on the lease and the
     * loop already heartbeats and renews while PostgreSQL starts on the caller's thread — a start that outlasts the
     * lease (a long crash recovery, the peer promoted meanwhile) is fenced at the deadline like any writer, one the
     * peer's acks or the hub keep vouching for goes on. The VIP and K3s are taken afterwards, off the loop too (arping
     * and K3s's start take seconds), only if the node still holds its lease then; a fence meanwhile releases the VIP
     * again. Returns then; throws what the start threw while the lease held (this supervisor closed).
     */
    public void start(java.util.function.Function<Consumer<PeerLink.Packet>, PeerLink> link, Resume resume) {
        PairMachine.State s = machine.state(); // read before the loop and the link hand the machine any input
        long epoch = machine.epoch();
        boolean holds = s == PairMachine.State.PRIMARY || s == PairMachine.State.ALONE;
        writing = holds;
        if (holds) {
            guard.arm(epoch, machine.leaseUntil());
        }
        this.peer = link.apply(p -> loop.execute(() -> onPacket(p)));
        loop.scheduleAtFixedRate(this::tick, 0, Math.max(10, timing.heartbeatMs() / 5), TimeUnit.MILLISECONDS);
        if (resume != null && holds) {
            resume(resume, epoch);
        }
        // the database probes may block: they run beside the loop and hand their answers over
        probe.scheduleAtFixedRate(() -> {
            boolean answers = driver.localAnswers();
            // an unanswering local server says nothing about the standby: do not report it lost for that
            io.geminik8s.agent.pg.StandbyStatus status = answers ? driver.peerStatus() : null;
            Boolean streaming = answers && status == null ? driver.peerStreaming() : null;
            loop.execute(() -> {
                apply(machine.localDatabase(answers, now()));
                if (status != null && status.known()) {
                    apply(machine.replication(status.streaming(), status.named(), status.sync(), now()));
                } else if (streaming != null) {
                    apply(machine.replication(streaming, now()));
                }
            });
        }, 0, Math.max(10, timing.peerSilenceMs() / 3), TimeUnit.MILLISECONDS);
    }

    private void resume(Resume resume, long epoch) {
        try {
            try {
                resume.database().run();
            } catch (io.geminik8s.agent.pg.FencedWhileStarting e) {
                LOG.warning("HA " + site + "/" + self + ": " + e.getMessage() + "; the machine goes on from the fence");
                return; // nothing of the start runs; the fence told the machine, which asks the hub again
            }
            if (!onLoop(this::stillHolding)) {
                return;
            }
            resume.vip().run(); // off the loop: arping and K3s's start take seconds, renewals go on
            onLoop(() -> { // a fence between the check and the take released the VIP before it was taken: again
                if (!writing) {
                    resume.releaseVip().run();
                }
                return true;
            });
            resume.k3s().run();
        } catch (RuntimeException e) {
            giveUp(e, epoch);
        }
    }

    /**
     * On the loop, after PostgreSQL's start: whether the node still holds its lease (the VIP and K3s to be taken).
     * A machine that fenced meanwhile — by a fence that counted before the start began, which the start could not
     * see — gets its fence again (the server just started must not run); a lapsed lease is fenced by the guard, a
     * rejoin (a newer epoch) takes PostgreSQL over itself.
     */
    private boolean stillHolding() {
        if (writing && now() < machine.leaseUntil()) {
            return true;
        }
        LOG.warning("HA " + site + "/" + self + ": the lease ran out while PostgreSQL started (" + machine.state()
                + "): not taking the VIP");
        if (machine.state() == PairMachine.State.FENCED) {
            driver.fence(machine.epoch());
        }
        return false;
    }

    /**
     * A start that failed while the node held its lease: nothing of it may stay up unguarded — the guard disarmed,
     * the node fenced (PostgreSQL killed, the VIP released, K3s stopped; on the loop, or here if the loop is gone),
     * then this supervisor closed; throws {@code e}.
     */
    private void giveUp(RuntimeException e, long epoch) {
        try {
            onLoop(() -> {
                guard.disarm();
                writing = false;
                driver.fence(epoch);
                return true;
            });
        } catch (RuntimeException loopGone) {
            guard.disarm();
            driver.fence(epoch);
        } finally {
            close();
        }
        throw e;
    }

    private <T> T onLoop(java.util.function.Supplier<T> task) {
        try {
            return CompletableFuture.supplyAsync(task, loop).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while resuming", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("resuming failed: " + e.getCause(), e.getCause());
        }
    }

    public PairMachine.State state() {
        return call(machine::state);
    }

    public long epoch() {
        return call(machine::epoch);
    }

    private static long now() {
        return System.nanoTime() / 1_000_000;
    }

    private void tick() {
        try {
            long now = now();
            apply(machine.tick(now));
            PairMachine.State s = machine.state();
            if ((s == PairMachine.State.PRIMARY || s == PairMachine.State.ALONE) && now >= nextHeartbeat) {
                nextHeartbeat = now + timing.heartbeatMs();
                sent.sent(peer.send("hb", machine.epoch(), now, 0, 0), now);
            }
        } catch (RuntimeException e) {
            LOG.warning("HA tick failed: " + e);
        }
    }

    /**
     * A planned switchover, if this node is a primary whose peer is synchronous (see {@link PairMachine#handOver}).
     *
     * @return whether it started
     */
    public boolean handOver() {
        return call(() -> {
            List<Action> actions = machine.handOver(now());
            if (actions.isEmpty()) {
                return false;
            }
            journal.record("ha.switchover", Severity.INFO, "planned switchover: epoch " + machine.epoch()
                    + " handed over to the peer", Map.of("epoch", Long.toString(machine.epoch())));
            loop.execute(() -> apply(actions)); // the fence may take seconds: the caller does not wait for it
            return true;
        });
    }

    /** The upgrade progress this node announces on every datagram to its peer. */
    public void announce(String progress) {
        PeerLink link = peer;
        if (link != null) {
            link.announce(progress);
        }
    }

    /** The peer's last announced upgrade progress; null when none was heard. */
    public String peerProgress() {
        return peerProgress;
    }

    /** Primary: the peer follows and is synchronous and sync-eligible. */
    public boolean peerSynchronous() {
        return call(machine::peerSynchronous);
    }

    /** Whether a rejoin is under way or to be retried. */
    public boolean rejoining() {
        return call(machine::rejoining);
    }

    private void onPacket(PeerLink.Packet p) {
        long now = now();
        peerProgress = p.upgrade(); // each datagram says it anew: a peer that stopped announcing announces nothing
        if (p.type().equals("hb")) {
            answering = p;
            try {
                apply(machine.peerHeartbeat(p.epoch(), p.sentAt(), now));
            } finally {
                answering = null;
            }
        } else if (p.type().equals("ack")) {
            // only an answer to a heartbeat this node sent counts, and from the time this node sent it
            java.util.OptionalLong sentAt = sent.answer(peer.boot(), p);
            if (sentAt.isEmpty()) {
                if (Long.bitCount(sent.unmatched()) == 1) {
                    LOG.warning("HA " + site + "/" + self + ": ack dropped, it answers no heartbeat sent here ("
                            + sent.unmatched() + " so far): seq " + p.answersSeq() + ", sentAt " + p.sentAt());
                }
                return;
            }
            apply(machine.peerAck(p.epoch(), sentAt.getAsLong(), now));
        }
    }

    /**
     * The fence timer or the watchdog fenced the node at the lease deadline: the machine learns it (fenced, asks the
     * hub), unless the loop disarmed them since, i.e. its own fence covered it.
     */
    private void fired(String by, long generation) {
        if (!guard.current(generation)) {
            LOG.info("HA " + site + "/" + self + ": " + by + " (already covered by the supervisor's fence)");
            return;
        }
        LOG.warning("HA " + site + "/" + self + ": fenced outside the loop by " + by);
        apply(machine.fencedOutside(now()));
    }

    /** Acks dropped because they answered no heartbeat this node sent (or misquoted its send time). */
    public long unmatchedAcks() {
        return sent.unmatched();
    }

    /** The fence deadline (ms, monotonic) while this node holds its epoch. */
    public long leaseUntil() {
        return call(machine::leaseUntil);
    }

    /** Carries out the actions of one machine call; then keeps the fence timer on the (possibly moved) lease. */
    private void apply(List<Action> actions) {
        for (Action a : actions) {
            long started = now();
            if (a instanceof Action.Fence f) {
                guard.disarm(); // waits for a fence of the timer's or the watchdog's that is running
                writing = false;
                driver.fence(f.epoch());
                event("ha.fenced", Severity.WARNING, machine.state() != PairMachine.State.STEPPED_DOWN
                        ? "fenced: lease lapsed or epoch moved" : machine.handedOver()
                        ? "handing over: fenced for a planned switchover" : "stepped down: the local PostgreSQL does not answer",
                        f.epoch(), started);
            } else if (a instanceof Action.Unfence u) {
                writing = true;
                driver.unfence(u.epoch());
                event("ha.unfenced", Severity.INFO, "the witness confirmed the epoch: writing again", u.epoch(), started);
            } else if (a instanceof Action.Promote p) {
                writing = true;
                driver.promote(p.epoch());
                event("ha.promoted", Severity.WARNING, "promoted to primary", p.epoch(), started);
            } else if (a instanceof Action.ForcePromote p) {
                writing = true;
                driver.forcePromote(p.epoch());
                event("ha.promoted", Severity.CRITICAL, "force-promoted to primary by the operator", p.epoch(), started);
            } else if (a instanceof Action.Release r) {
                if (!driver.fenceHolds()) { // the fence did not take: never tell the hub it did (asked again)
                    LOG.warning("HA " + site + "/" + self + ": epoch " + r.epoch() + " not released: PostgreSQL or the"
                            + " VIP is still here after the fence; fencing again");
                    driver.fence(r.epoch());
                } else {
                    ask(WitnessRequest.Op.RELEASE, r.epoch(), null, null);
                }
            } else if (a instanceof Action.ForceWithHub f) {
                ask(WitnessRequest.Op.FORCE, f.epoch(), null, null);
            } else if (a instanceof Action.Rejoin r) {
                writing = false;
                work.execute(() -> rejoin(r.epoch(), r.holder()));
            } else if (a instanceof Action.UseSyncStandby u) {
                driver.useSyncStandby(u.peer());
                event("ha.sync-standby-added", Severity.INFO, u.peer() + " is synchronous again", u.epoch(), started);
            } else if (a instanceof Action.DropSyncStandby d) {
                driver.dropSyncStandby(d.peer());
                event("ha.sync-standby-dropped", Severity.WARNING, d.peer() + " lost: writing without a standby",
                        d.epoch(), started);
            } else if (a instanceof Action.RestartDatabase r) {
                // on the loop, so that no other decision (a step-down, a fence) interleaves with the restart; the
                // peer tolerates the pause (a restart takes about a second, peer silence is longer)
                driver.restartDatabase();
                machine.databaseRestarted();
                event("ha.database-restarted", Severity.WARNING, "the local PostgreSQL stopped answering",
                        r.epoch(), started);
            } else if (a instanceof Action.LeaseMismatch m) {
                journal.leaseMismatch(m);
            } else if (a instanceof Action.AckPeer ack && answering != null) {
                peer.send("ack", ack.epoch(), ack.heartbeatSentAt(), answering.boot(), answering.seq());
            } else if (a instanceof Action.RenewWithHub r) {
                ask(WitnessRequest.Op.RENEW, r.epoch(), null, null);
            } else if (a instanceof Action.ReportPeerLost l) {
                ask(WitnessRequest.Op.PEER_LOST, l.epoch(), l.peer(), null);
            } else if (a instanceof Action.ReportPeerOk o) {
                ask(WitnessRequest.Op.PEER_OK, o.epoch(), o.peer(), null);
            } else if (a instanceof Action.AskPromotion p) {
                ask(WitnessRequest.Op.PROMOTE, p.epoch(), null, p.sinceLastAckMs());
            }
        }
        if (writing) {
            guard.arm(machine.epoch(), machine.leaseUntil());
        }
    }

    /**
     * pg_rewind or a base backup (seconds to minutes) on a thread of its own, so that the loop goes on acking and
     * answering; the machine learns the outcome and asks for a retry after a failure (the old data is kept).
     */
    private void rejoin(long epoch, String holder) {
        long started = now();
        boolean ok = false;
        CompletableFuture<String> asked = rebuilt;
        try {
            if (asked != null) {
                copy.copy().accept(epoch, holder);
            } else {
                driver.rejoin(epoch, holder);
            }
            ok = true;
            event("ha.rejoined", Severity.INFO, "following " + holder, epoch, started);
        } catch (RuntimeException e) {
            LOG.warning("HA rejoin of " + holder + " failed, retrying in " + PairMachine.REJOIN_RETRY_MS + " ms: " + e);
            event("ha.rejoin-failed", Severity.WARNING, "rejoining " + holder + " failed: " + e.getMessage(), epoch,
                    started);
        }
        boolean done = ok;
        if (ok && asked != null) {
            rebuilt = null;
            asked.complete("rebuilt from " + copy.source() + " in " + (now() - started) + " ms; following " + holder
                    + " in epoch " + epoch);
        }
        loop.execute(() -> apply(machine.rejoined(done, now())));
    }

    /**
     * This standby re-cloned from the holder it follows (after the holder's point-in-time restore: its data is on a
     * timeline the holder left). Completes once the copy streams; a failed copy is retried (the old data kept), as any
     * rejoin; completes exceptionally at once when this node is no standby or rejoins already.
     */
    public CompletableFuture<String> rebuild() {
        return rebuild(new StandbyCopy("the primary's data (a base backup)", driver::reclone));
    }

    /** {@link #rebuild()} with the data from {@code how} (the backup repository, say) instead of the primary. */
    public CompletableFuture<String> rebuild(StandbyCopy how) {
        CompletableFuture<String> f = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                List<Action> actions = machine.rebuild(now());
                copy = how;
                rebuilt = f;
                journal.record("ha.rebuild", Severity.WARNING, "standby rebuild from " + how.source(),
                        Map.of("epoch", Long.toString(machine.epoch()), "source", how.source()));
                apply(actions);
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /**
     * The operator's force-promote (data loss accepted), audited: the outcome is journaled with who and why.
     *
     * @return the epoch this node now holds
     * @throws IllegalStateException with the reason when refused
     */
    public long forcePromote(String operator, String reason) {
        java.util.concurrent.Future<Long> outcome = loop.submit(() -> {
            long now = now();
            try {
                apply(machine.forcePromote(now));
            } catch (IllegalStateException e) {
                journal.record("ha.force-promote-refused", Severity.WARNING, e.getMessage(),
                        Map.of("operator", operator, "reason", reason));
                throw e;
            }
            journal.record("ha.force-promoted", Severity.CRITICAL, "forced by " + operator + ": " + reason,
                    Map.of("operator", operator, "reason", reason, "epoch", Long.toString(machine.epoch()),
                            "took_ms", Long.toString(now() - now)));
            return machine.epoch();
        });
        try {
            return outcome.get(2, TimeUnit.MINUTES);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof IllegalStateException ise ? ise : new IllegalStateException(e.getCause());
        } catch (Exception e) {
            throw new IllegalStateException("force-promote did not finish: " + e, e);
        }
    }

    private void event(String type, Severity severity, String message, long epoch, long startedMs) {
        journal.step(type, severity, message, epoch, now() - startedMs);
    }

    private void ask(WitnessRequest.Op op, long epoch, String peerName, Long sinceLastAckMs) {
        long sentAt = now();
        witness.ask(op, epoch, peerName, sinceLastAckMs).whenComplete((reply, err) -> {
            if (err == null) {
                loop.execute(() -> apply(machine.hubReply(op, reply, sentAt, now())));
            }
        });
    }

    private <T> T call(java.util.concurrent.Callable<T> c) {
        try {
            return loop.submit(c).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stops this supervisor as if the node lost power: no goodbye to anyone. */
    @Override
    public void close() {
        probe.shutdownNow();
        loop.shutdownNow();
        work.shutdownNow();
        journal.close();
        guard.close();
        if (peer != null) {
            peer.close();
        }
    }
}
