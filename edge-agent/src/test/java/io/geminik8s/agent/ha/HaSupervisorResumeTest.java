package io.geminik8s.agent.ha;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.embedded.FreePort;
import io.geminik8s.protocol.WitnessReply;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A primary resuming at an agent's start (the witness renewed its epoch) starts PostgreSQL under the lease guard:
 * a start that outlasts the lease nobody vouches for any more is fenced at the lease's end while it still runs, and
 * the VIP is not taken; a start the peer keeps vouching for (its acks extend the lease) is not fenced however long.
 * Before, the agent started PostgreSQL, the VIP and K3s first and the guard only afterwards: a slow crash recovery
 * wrote unguarded past the lease the witness counts, while the standby could be promoted.
 */
class HaSupervisorResumeTest {

    private static final HaTiming T = new HaTiming(100, 400, 800, 60_000);
    /** The second test's: a lease with room for a loaded machine's late acks (20 heartbeats long). */
    private static final HaTiming ROOMY = new HaTiming(100, 1_000, 2_000, 60_000);

    private final List<String> calls = new CopyOnWriteArrayList<>();

    /** A hub that never answers: only the peer's acks could extend the lease. */
    private static final WitnessPort SILENT_HUB = (op, epoch, peer, since) -> new CompletableFuture<WitnessReply>();

    private final SiteDriver driver = new SiteDriver() {
        public void fence(long epoch) {
            calls.add("fence at " + System.nanoTime() / 1_000_000);
        }

        public void unfence(long epoch) {
            calls.add("unfence");
        }

        public void promote(long epoch) {
            calls.add("promote");
        }

        public void forcePromote(long epoch) {
            calls.add("force-promote");
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
            calls.add("rejoin");
        }
    };

    @Test
    void aStartOutlastingAnUnvouchedLeaseIsFencedAtTheLeaseEndAndTakesNoVip() throws Exception {
        long now = System.nanoTime() / 1_000_000;
        HaSupervisor primary = new HaSupervisor("s1", "a", T, PairMachine.primary("b", 1, now, T, now), SILENT_HUB,
                driver, HaEvents.NONE);
        long leaseEnd = primary.leaseUntil();
        AtomicBoolean fencedWhileStarting = new AtomicBoolean();
        try {
            primary.start(onPacket -> new PeerLink(new InetSocketAddress("127.0.0.1", FreePort.find()),
                    new InetSocketAddress("127.0.0.1", FreePort.find()), "s1", "a", "b", PeerLinkTest.KEY, onPacket),
                    new HaSupervisor.Resume(() -> { // a crash recovery that lasts until the fence, 5 s at most
                        calls.add("database");
                        try {
                            await().atMost(Duration.ofSeconds(5)).until(() -> calls.stream().anyMatch(c -> c
                                    .startsWith("fence")));
                            fencedWhileStarting.set(true);
                        } catch (org.awaitility.core.ConditionTimeoutException e) {
                            fencedWhileStarting.set(false);
                        }
                    }, () -> calls.add("vip"), () -> calls.add("k3s"), () -> calls.add("vip released")));
            assertTrue(fencedWhileStarting.get(), "fenced while PostgreSQL still started: " + calls);
            long firstFence = calls.stream().filter(c -> c.startsWith("fence at ")).mapToLong(c -> Long.parseLong(
                    c.substring(9))).min().orElseThrow();
            assertTrue(firstFence >= leaseEnd, "not before the lease's end: " + (firstFence - leaseEnd) + " ms");
            assertTrue(firstFence - leaseEnd < 1_000, "at the lease's end, not " + (firstFence - leaseEnd) + " ms late");
            assertTrue(!calls.contains("vip") && !calls.contains("k3s"), "no VIP, no K3s after the lease ran out: "
                    + calls);
            await().atMost(Duration.ofSeconds(5)).until(() -> primary.state() == PairMachine.State.FENCED);
        } finally {
            primary.close();
        }
    }

    @Test
    void aStartThePeerKeepsVouchingForIsNotFencedHoweverLong() throws Exception {
        InetSocketAddress a = new InetSocketAddress("127.0.0.1", FreePort.find());
        InetSocketAddress b = new InetSocketAddress("127.0.0.1", FreePort.find());
        long now = System.nanoTime() / 1_000_000;
        HaSupervisor primary = new HaSupervisor("s1", "a", ROOMY, PairMachine.primary("b", 1, now, ROOMY, now),
                SILENT_HUB, driver, HaEvents.NONE);
        HaSupervisor standby = new HaSupervisor("s1", "b", ROOMY, PairMachine.standby("a", 1, ROOMY, now),
                SILENT_HUB, driver, HaEvents.NONE);
        long firstLease = primary.leaseUntil();
        AtomicBoolean vouchedFor = new AtomicBoolean();
        try {
            standby.start(onPacket -> new PeerLink(b, a, "s1", "b", "a", PeerLinkTest.KEY, onPacket));
            primary.start(onPacket -> new PeerLink(a, b, "s1", "a", "b", PeerLinkTest.KEY, onPacket),
                    new HaSupervisor.Resume(() -> { // a start that lasts until the acks carried the lease 3 leases on
                        calls.add("database");
                        try { // a fence would stop the acks counting: the lease would stay where it ran out
                            await().atMost(Duration.ofSeconds(20)).until(() -> primary.leaseUntil()
                                    >= firstLease + 3 * ROOMY.leaseMs());
                            vouchedFor.set(true);
                        } catch (org.awaitility.core.ConditionTimeoutException e) {
                            vouchedFor.set(false);
                        }
                    }, () -> calls.add("vip"), () -> calls.add("k3s"), () -> calls.add("vip released")));
            long took = System.nanoTime() / 1_000_000 - now;
            assertTrue(vouchedFor.get(), "the acks carried the lease 3 leases past its first end: " + calls);
            assertTrue(took >= 3 * ROOMY.leaseMs(), "the start lasted " + took + " ms from the lease's start");
            assertEquals(List.of("database", "vip", "k3s"), calls, "never fenced, the VIP taken once");
            assertEquals(PairMachine.State.PRIMARY, primary.state());
            assertTrue(primary.leaseUntil() > System.nanoTime() / 1_000_000, "the acks keep the lease ahead");
        } finally {
            primary.close();
            standby.close();
        }
    }

}
