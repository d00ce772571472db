package io.geminik8s.agent.ha;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.agent.pg.StandbyStatus;
import io.geminik8s.embedded.FreePort;
import io.geminik8s.protocol.WitnessReply;
import io.geminik8s.protocol.WitnessRequest.Op;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A primary whose standby streams but is not yet synchronous (a fresh pair, or a standby back after a cut): the
 * supervisor puts it into synchronous_standby_names, and reports it eligible to the hub (PEER_OK) only after its
 * PostgreSQL confirms it streaming with sync_state 'sync' — never before. One recording of the driver's calls, what
 * it reported, and the witness requests, in the order they happened.
 */
class HaSupervisorSyncOrderTest {

    /** Lease far longer than the test; probes every 400 ms (peer silence / 3). */
    private static final HaTiming T = new HaTiming(100, 1200, 60_000, 50);

    private final List<String> log = new CopyOnWriteArrayList<>();
    private volatile boolean named;
    private volatile boolean confirming;
    private final AtomicInteger probesWhileNamed = new AtomicInteger();

    private final SiteDriver driver = new SiteDriver() {
        public StandbyStatus peerStatus() {
            boolean sync = named && confirming;
            if (named && !sync) {
                probesWhileNamed.incrementAndGet();
            }
            if (sync && !log.contains("driver: sync confirmed")) {
                log.add("driver: sync confirmed");
            }
            return new StandbyStatus(true, true, named, sync);
        }

        public void useSyncStandby(String peer) {
            log.add("driver: sync standby set " + peer);
            named = true;
        }

        public void dropSyncStandby(String peer) {
            log.add("driver: sync standby dropped " + peer);
            named = false;
        }

        public boolean peerStreaming() {
            throw new AssertionError("the supervisor asks for the status when the driver gives it");
        }

        public void fence(long epoch) {
            log.add("driver: fence");
        }

        public void unfence(long epoch) {
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

        public void rejoin(long epoch, String holder) {
        }
    };

    @Test
    void theStandbyIsReportedEligibleOnlyAfterItIsSetAndConfirmedSynchronous() throws Exception {
        long now = System.nanoTime() / 1_000_000;
        WitnessPort witness = (op, epoch, peer, since) -> {
            if (op != Op.RENEW) {
                log.add("witness: " + op + (peer == null ? "" : " " + peer));
            }
            return CompletableFuture.completedFuture(new WitnessReply("1.0", "r", "s1", "a", 0L,
                    WitnessReply.Outcome.GRANTED, epoch, "a", op == Op.RENEW ? T.leaseMs() : null, null, null));
        };
        // a fresh pair: the standby streams but is neither named nor counted eligible yet
        HaSupervisor primary = new HaSupervisor("s1", "a", T, PairMachine.primary("b", 1, now, false, T, now),
                witness, driver, HaEvents.NONE);
        // the standby's agent, acking the heartbeats (so the primary is not alone); its PostgreSQL is not asked
        HaSupervisor standby = new HaSupervisor("s1", "b", T, PairMachine.standby("a", 1, T, now),
                (op, epoch, peer, since) -> new CompletableFuture<>(), new SiteDriverStub(), HaEvents.NONE);
        InetSocketAddress a = new InetSocketAddress("127.0.0.1", FreePort.find());
        InetSocketAddress b = new InetSocketAddress("127.0.0.1", FreePort.find());
        try {
            standby.start(onPacket -> new PeerLink(b, a, "s1", "b", "a", PeerLinkTest.KEY, onPacket));
            primary.start(onPacket -> new PeerLink(a, b, "s1", "a", "b", PeerLinkTest.KEY, onPacket));
            await().atMost(Duration.ofSeconds(5)).until(() -> named);
            // named, not yet synchronous (the walsender has not confirmed): many probes, no PEER_OK
            await().atMost(Duration.ofSeconds(10)).until(() -> probesWhileNamed.get() >= 5);
            assertTrue(log.stream().noneMatch(l -> l.contains("PEER_OK")), "no PEER_OK before sync: " + log);
            confirming = true;
            await().atMost(Duration.ofSeconds(5)).until(() -> log.contains("witness: PEER_OK b"));
            assertEquals(List.of("driver: sync standby set b", "driver: sync confirmed", "witness: PEER_OK b"),
                    log.subList(0, 3), "order of the recording: " + log);
            int okAsks = (int) log.stream().filter(l -> l.contains("PEER_OK")).count();
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                    .until(() -> log.stream().filter(l -> l.contains("PEER_OK")).count() == okAsks);
            assertEquals(1, okAsks, "granted once: not asked again: " + log);
            assertEquals(PairMachine.State.PRIMARY, primary.state(), "the standby's acks kept it primary: " + log);
        } finally {
            primary.close();
            standby.close();
        }
    }

    /** A driver that does nothing and says the local server answers. */
    private static final class SiteDriverStub implements SiteDriver {
        public void fence(long epoch) {
        }

        public void unfence(long epoch) {
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
    }
}
