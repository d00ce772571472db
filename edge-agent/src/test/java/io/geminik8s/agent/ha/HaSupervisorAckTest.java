package io.geminik8s.agent.ha;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.embedded.FreePort;
import io.geminik8s.protocol.WitnessReply;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A primary's supervisor on a real peer link, its standby played by hand: only an ack that answers a heartbeat the
 * primary sent extends the lease, and from the primary's own send time.
 */
class HaSupervisorAckTest {

    /** Lease far longer than the test, so that nothing but the acks moves it. */
    private static final HaTiming T = new HaTiming(100, 5_000, 60_000, 500);

    private static final SiteDriver QUIET = new SiteDriver() {
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
            return true;
        }

        public void useSyncStandby(String peer) {
        }

        public void dropSyncStandby(String peer) {
        }

        public void rejoin(long epoch, String holder) {
        }
    };

    @Test
    void onlyAnAckForAHeartbeatSentHereExtendsTheLeaseFromItsSendTime() throws Exception {
        InetSocketAddress a = new InetSocketAddress("127.0.0.1", FreePort.find());
        InetSocketAddress b = new InetSocketAddress("127.0.0.1", FreePort.find());
        long now = System.nanoTime() / 1_000_000;
        HaSupervisor primary = new HaSupervisor("s1", "a", T, PairMachine.primary("b", 1, now, T, now),
                (op, epoch, peer, since) -> new CompletableFuture<WitnessReply>(), QUIET, HaEvents.NONE);
        PeerCodec codec = new PeerCodec(PeerLinkTest.KEY);
        try (DatagramChannel standby = DatagramChannel.open().bind(b)) {
            primary.start(onPacket -> new PeerLink(a, b, "s1", "a", "b", PeerLinkTest.KEY, onPacket));
            long lease = primary.leaseUntil();
            long[] seq = {0};

            PeerLink.Packet h1 = heartbeat(standby, codec);
            send(standby, a, codec, new PeerLink.Packet("ack", "s1", "b", 1, h1.sentAt(), 9, ++seq[0], h1.boot(),
                    h1.seq() + 1_000)); // a heartbeat never sent
            send(standby, a, codec, new PeerLink.Packet("ack", "s1", "b", 1, h1.sentAt(), 9, ++seq[0], h1.boot() + 1,
                    h1.seq())); // a heartbeat of another boot of the primary
            send(standby, a, codec, new PeerLink.Packet("ack", "s1", "b", 1, h1.sentAt() + 1_000_000_000L, 9,
                    ++seq[0], h1.boot(), h1.seq())); // future-dated: the lease would run for 11 days
            await().atMost(Duration.ofSeconds(5)).until(() -> primary.unmatchedAcks() == 3);
            assertEquals(lease, primary.leaseUntil(), "no dropped ack moved the lease");

            PeerLink.Packet h2 = heartbeat(standby, codec);
            send(standby, a, codec, new PeerLink.Packet("ack", "s1", "b", 1, h2.sentAt(), 9, ++seq[0], h2.boot(),
                    h2.seq()));
            await().atMost(Duration.ofSeconds(5)).until(() -> primary.leaseUntil() == h2.sentAt() + T.leaseMs());
            assertTrue(primary.leaseUntil() > lease);
            // the same answer again, newly numbered (a replay with the same number dies in the link): used up
            send(standby, a, codec, new PeerLink.Packet("ack", "s1", "b", 1, h2.sentAt(), 9, ++seq[0], h2.boot(),
                    h2.seq()));
            await().atMost(Duration.ofSeconds(5)).until(() -> primary.unmatchedAcks() == 4);
            assertEquals(PairMachine.State.PRIMARY, primary.state());
        } finally {
            primary.close();
        }
    }

    /** The next heartbeat the primary sends. */
    private static PeerLink.Packet heartbeat(DatagramChannel standby, PeerCodec codec) throws Exception {
        ByteBuffer buf = ByteBuffer.allocate(2048);
        while (true) {
            buf.clear();
            standby.receive(buf);
            PeerLink.Packet p = codec.open(buf.array(), buf.position());
            if (p.type().equals("hb")) {
                return p;
            }
        }
    }

    private static void send(DatagramChannel from, InetSocketAddress to, PeerCodec codec, PeerLink.Packet p)
            throws Exception {
        from.send(ByteBuffer.wrap(codec.seal(p)), to);
    }
}
