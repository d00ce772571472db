package io.geminik8s.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.geminik8s.embedded.FreePort;
import io.geminik8s.protocol.WitnessReply;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Reviewer's probes of the supervised resume (e1b1165/d453eb8), each of which saw its failure on that code: what
 * HaSupervisor.start(link, Resume) leaves behind when the resume fails. A start that fails while the lease holds now
 * fences the node before the supervisor closes; a start a fence ended leaves the machine in charge. The fake driver
 * models PgControl: a monitor held by unfence for the whole start, a fence counter, and whether a server runs / is
 * writable / holds the VIP.
 */
class ReviewProbeResumeTest {

    private static final HaTiming T = new HaTiming(100, 400, 800, 60_000);
    private static final WitnessPort SILENT_HUB = (op, epoch, peer, since) -> new CompletableFuture<WitnessReply>();

    final List<String> calls = new CopyOnWriteArrayList<>();
    final Object pgMonitor = new Object(); // PgControl's monitor (unfence, start, startFenced are synchronized)
    final AtomicLong fences = new AtomicLong();
    final AtomicBoolean pgUp = new AtomicBoolean();
    final AtomicBoolean writable = new AtomicBoolean();
    final AtomicBoolean vip = new AtomicBoolean();
    final AtomicBoolean loopWaitsForMonitor = new AtomicBoolean();

    final SiteDriver driver = new SiteDriver() {
        public void fence(long epoch) { // NodeDriver.fence: VIP released, server killed (no lock), K3s stopped
            fences.incrementAndGet();
            vip.set(false);
            pgUp.set(false);
            writable.set(false);
            calls.add("fence@" + Thread.currentThread().getName());
        }

        public void unfence(long epoch) { // NodeDriver.unfence on the loop: PgControl.unfence (synchronized), VIP, K3s
            calls.add("unfence(loop)");
            loopWaitsForMonitor.set(true);
            synchronized (pgMonitor) {
                pgUp.set(true);
                writable.set(true);
            }
            vip.set(true);
        }

        public void promote(long epoch) {
        }

        public void forcePromote(long epoch) {
        }

        public boolean localAnswers() {
            return true;
        }

        public void restartDatabase() {
        }

        public boolean peerStreaming() {
            return false;
        }

        public void useSyncStandby(String peer) {
        }

        public void dropSyncStandby(String peer) {
        }

        public void rejoin(long epoch, String holder) {
        }
    };

    private static long now() {
        return System.nanoTime() / 1_000_000;
    }

    private java.util.function.Function<java.util.function.Consumer<PeerLink.Packet>, PeerLink> link() {
        return onPacket -> new PeerLink(new InetSocketAddress("127.0.0.1", FreePort.find()),
                new InetSocketAddress("127.0.0.1", FreePort.find()), "s1", "a", "b", PeerLinkTest.KEY, onPacket);
    }

    /** The start fails after the server came up (ALTER SYSTEM RESET failed, or Postmaster's 60 s deadline passed). */
    @Test
    void probe1_aFailedStartWhileTheLeaseHoldsIsFencedBeforeTheSupervisorCloses() throws Exception {
        long t0 = now();
        HaSupervisor s = new HaSupervisor("s1", "a", T, PairMachine.primary("b", 1, t0, T, t0), SILENT_HUB, driver,
                HaEvents.NONE);
        try {
            RuntimeException e = assertThrows(RuntimeException.class, () -> s.start(link(), resume(() -> {
                pgUp.set(true); // postgres started (read-only default), then:
                throw new IllegalStateException("a: ALTER SYSTEM RESET default_transaction_read_only: timeout");
            }, () -> vip.set(true))));
            assertTrue(e.getMessage().contains("ALTER SYSTEM RESET"), e.getMessage());
            assertFalse(pgUp.get(), "the server the start left is killed: " + calls);
            assertTrue(fences.get() >= 1, "fenced: " + calls);
            assertFalse(vip.get(), "no VIP taken");
        } finally {
            s.close();
        }
    }

    /** The database became writable, then the VIP's (or K3s's) start failed. */
    @Test
    void probe2_aFailedServicesStartIsFencedBeforeTheSupervisorCloses() throws Exception {
        long t0 = now();
        HaSupervisor s = new HaSupervisor("s1", "a", T, PairMachine.primary("b", 1, t0, T, t0), SILENT_HUB, driver,
                HaEvents.NONE);
        try {
            RuntimeException e = assertThrows(RuntimeException.class, () -> s.start(link(), new HaSupervisor.Resume(
                    () -> {
                        pgUp.set(true);
                        writable.set(true);
                    }, () -> vip.set(true), () -> {
                        throw new IllegalStateException("k3s: cannot run program");
                    }, () -> vip.set(false))));
            assertTrue(e.getMessage().contains("k3s"), e.getMessage());
            assertFalse(writable.get() || vip.get() || pgUp.get(), "nothing of the start left: " + calls);
        } finally {
            s.close();
        }
    }

    private static HaSupervisor.Resume resume(Runnable database, Runnable vip) {
        return new HaSupervisor.Resume(database, vip, () -> { }, () -> { });
    }

    /**
     * The fence at the lease's end misses a server not yet spawned; the hub renews while the (resume's) start still
     * holds PostgreSQL's monitor: the loop's Unfence blocks on that monitor (no ticks, no heartbeats), the resume's
     * start then throws "fenced while PostgreSQL started" (FencedWhileStarting), the loop's own unfence makes the
     * server writable and takes the VIP. Before, the resume took that for a failed start and closed the supervisor,
     * leaving the writer unguarded; now the machine, renewed, stays in charge: start returns and supervises it.
     */
    @Test
    void probe3_aRenewalDuringAnOverlappedStartLeavesTheWriterSupervised() throws Exception {
        AtomicBoolean hubBack = new AtomicBoolean();
        WitnessPort hub = (op, epoch, peer, since) -> fences.get() > 0 ? CompletableFuture.completedFuture(new WitnessReply(
                "1.0", "r", "s1", "a", 0L, WitnessReply.Outcome.GRANTED, epoch, "a", T.leaseMs(), null, null))
                : new CompletableFuture<>();
        long t0 = now();
        HaTiming renewing = new HaTiming(100, 400, 800, 100); // the hub asked every 100 ms once it answers
        HaSupervisor s = new HaSupervisor("s1", "a", renewing, PairMachine.primary("b", 1, t0, renewing, t0), hub,
                driver, HaEvents.NONE);
        AtomicLong loopBlockedMs = new AtomicLong(-1);
        try {
            s.start(link(), resume(() -> { // PgControl.unfence: synchronized, fence counter read first
                synchronized (pgMonitor) {
                    long before = fences.get();
                    // pg_ctl stop of a leftover / hba / TLS before the spawn: the lease ends here, the fence kills
                    // nothing (no server yet); the hub is reachable again from now on
                    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                            .until(() -> fences.get() > before);
                    hubBack.set(true);
                    // the loop's FENCED tick asks the hub: wait until the loop's Unfence blocks on the monitor
                    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                            .until(loopWaitsForMonitor::get);
                    long blockedAt = now();
                    CompletableFuture<PairMachine.State> asked = CompletableFuture.supplyAsync(s::state);
                    try {
                        asked.get(300, TimeUnit.MILLISECONDS);
                    } catch (Exception timeout) {
                        loopBlockedMs.set(now() - blockedAt); // the loop answers nothing meanwhile
                    }
                    if (fences.get() != before) { // the spawn is refused: a fence counted before it
                        throw new io.geminik8s.agent.pg.FencedWhileStarting("a: fenced before PostgreSQL started",
                                null);
                    }
                }
            }, () -> calls.add("vip by the resume")));
            assertTrue(loopBlockedMs.get() >= 250, "the loop was blocked on PostgreSQL's monitor");
            // the writer is the supervisor's: writing, with the VIP, as ALONE holder of a lease it keeps renewing
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> writable.get()
                    && vip.get() && List.of(PairMachine.State.ALONE, PairMachine.State.PRIMARY).contains(s.state())
                    && s.leaseUntil() > now());
            assertFalse(calls.contains("vip by the resume"), "the loop's own unfence took the VIP: " + calls);
        } finally {
            s.close();
        }
    }
}
