package io.geminik8s.agent.ha;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.embedded.FreePort;
import io.geminik8s.protocol.Severity;
import io.geminik8s.protocol.WitnessReply;
import io.geminik8s.protocol.WitnessRequest.Op;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A primary configured with ha.lease-ms 60 s against a hub whose lease is 1 s: the supervisor journals the mismatch
 * (critical) and fences by the hub's lease, not 60 s later.
 */
class HaSupervisorLeaseTest {

    private static final HaTiming T = new HaTiming(100, 30_000, 60_000, 200);

    @Test
    void anAgentLeaseLongerThanTheHubsIsJournaledAndTheHubsLeaseIsCounted() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        List<Long> fencedAt = new CopyOnWriteArrayList<>();
        HaEvents journal = (type, severity, message, attrs) -> events.add(type + " " + severity + " "
                + new java.util.TreeMap<>(attrs));
        WitnessPort hub = (op, epoch, peer, since) -> CompletableFuture.completedFuture(op == Op.RENEW
                ? new WitnessReply("1.0", "r", "s1", "a", 0L, WitnessReply.Outcome.GRANTED, epoch, "a", 1_000L, null,
                        null)
                : new WitnessReply("1.0", "r", "s1", "a", 0L, WitnessReply.Outcome.REFUSED, epoch, "a", null, null,
                        "no"));
        SiteDriver driver = new Quiet() {
            @Override
            public void fence(long epoch) {
                fencedAt.add(System.nanoTime() / 1_000_000);
            }
        };
        long start = System.nanoTime() / 1_000_000;
        // the standby never answers: only the hub's renewals could keep this primary's lease
        HaSupervisor primary = new HaSupervisor("s1", "a", T, PairMachine.primary("b", 1, start, T, start), hub,
                driver, journal);
        try {
            primary.start(onPacket -> new PeerLink(new InetSocketAddress("127.0.0.1", FreePort.find()),
                    new InetSocketAddress("127.0.0.1", FreePort.find()), "s1", "a", "b", PeerLinkTest.KEY, onPacket));
            await().atMost(Duration.ofSeconds(5)).until(() -> !events.isEmpty());
            assertEquals("ha.lease-mismatch " + Severity.CRITICAL + " " + new java.util.TreeMap<>(Map.of("epoch", "1",
                    "configured_ms", "60000", "hub_ms", "1000")), events.get(0));
            assertTrue(primary.leaseUntil() <= System.nanoTime() / 1_000_000 + 1_000, "the hub's 1 s lease");
            // no acks, the next renewal only after 30 s: the lease runs out 1 s after the grant, not 60 s
            await().atMost(Duration.ofSeconds(10)).until(() -> !fencedAt.isEmpty());
            long after = fencedAt.get(0) - start;
            assertTrue(after < 5_000, "fenced " + after + " ms after start");
        } finally {
            primary.close();
        }
    }

    /** A driver that does nothing; the local server answers, the peer does not stream. */
    private static class Quiet implements SiteDriver {
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
