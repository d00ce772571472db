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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Review probe (review14): HaSupervisor.handOver() runs the fence on the HA loop inside call(), which gives up after
 * 5 s. A real fence takes longer than that often enough (NodeDriver.fence: PgControl.fence waits up to 10 s for the
 * SIGKILLed tree plus 10 s for the data directory; systemctl stop k3s takes seconds to tens of seconds). The upgrade
 * thread then gets an IllegalStateException although the switchover ran: upgrade.json stays "switching-over" with a
 * "tick failed" warning, and the next tick's second handOver() returns false and journals "switchover not started:
 * the standby is not synchronous any more" (WARNING) for a switchover that did start. Failed on the reviewed code, passes since the fix.
 */
class ReviewProbeHandOverStallTest {

    private static final HaTiming T = new HaTiming(100, 10_000, 20_000, 100);

    private final List<String> calls = new CopyOnWriteArrayList<>();
    private volatile boolean fenced;
    private HaSupervisor primary;

    private final SiteDriver driver = new SiteDriver() {
        public void fence(long epoch) {
            calls.add("fence");
            try {
                Thread.sleep(6_000); // a K3s stop and a killed tree that takes its time
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            fenced = true;
        }

        public void unfence(long epoch) {
            calls.add("unfence");
        }

        public void promote(long epoch) {
        }

        public void forcePromote(long epoch) {
        }

        public void rejoin(long epoch, String holder) {
        }

        public boolean localAnswers() {
            return !fenced;
        }

        public void restartDatabase() {
        }

        public boolean peerStreaming() {
            return true;
        }

        public StandbyStatus peerStatus() {
            return new StandbyStatus(true, true, true, true);
        }

        public void useSyncStandby(String peer) {
        }

        public void dropSyncStandby(String peer) {
        }
    };

    private final WitnessPort hub = (op, epoch, peer, since) -> {
        calls.add(op.json());
        return CompletableFuture.completedFuture(new WitnessReply("1.3", "r", "s1", "a", 0L,
                WitnessReply.Outcome.GRANTED, epoch, "a", op == Op.RELEASE ? 0L : 60_000L, null, null));
    };

    @AfterEach
    void close() {
        if (primary != null) {
            primary.close();
        }
    }

    @Test
    void aHandOverWhoseFenceTakesLongerThanFiveSecondsIsReportedAsStarted() throws Exception {
        long now = System.nanoTime() / 1_000_000;
        primary = new HaSupervisor("s1", "a", T, PairMachine.primary("b", 1, now, true, T, now), hub, driver,
                (type, severity, message, attrs) -> { }, null);
        primary.start(onPacket -> new PeerLink(new InetSocketAddress("127.0.0.1", FreePort.find()),
                new InetSocketAddress("127.0.0.1", FreePort.find()), "s1", "a", "b", PeerLinkTest.KEY, onPacket));
        String outcome;
        try {
            outcome = "returned " + primary.handOver();
        } catch (IllegalStateException e) {
            outcome = "threw " + e.getMessage();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> calls.contains("release"));
        assertTrue(calls.contains("fence"), calls.toString());
        assertEquals("returned true", outcome, "the switchover ran (" + calls + ") but the caller was told: " + outcome);
    }
}
