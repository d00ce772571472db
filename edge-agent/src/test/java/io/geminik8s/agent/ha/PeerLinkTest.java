package io.geminik8s.agent.ha;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.geminik8s.embedded.FreePort;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The receiving side of the peer link against a hand-driven sender: what is handed on, what is dropped. */
class PeerLinkTest {

    static final PeerKey KEY = new PeerKey("k".repeat(40).getBytes(StandardCharsets.UTF_8));
    private static final PeerKey OTHER_KEY = new PeerKey("x".repeat(40).getBytes(StandardCharsets.UTF_8));

    private final List<PeerLink.Packet> received = new CopyOnWriteArrayList<>();
    private InetSocketAddress peerAddress;
    private InetSocketAddress linkAddress;
    private PeerLink link;
    private DatagramChannel peer;

    @BeforeEach
    void open() throws Exception {
        peerAddress = new InetSocketAddress("127.0.0.1", FreePort.find());
        linkAddress = new InetSocketAddress("127.0.0.1", FreePort.find());
        peer = DatagramChannel.open().bind(peerAddress);
        link = new PeerLink(linkAddress, peerAddress, "s1", "a", "b", KEY, received::add);
    }

    @AfterEach
    void close() throws Exception {
        link.close();
        peer.close();
    }

    private static PeerLink.Packet hb(long boot, long seq) {
        return new PeerLink.Packet("hb", "s1", "b", 1, 100, boot, seq, 0, 0);
    }

    private void send(byte[] bytes) throws Exception {
        peer.send(ByteBuffer.wrap(bytes), linkAddress);
    }

    private void awaitStats(Predicate<PeerLink.Stats> until) {
        await().atMost(Duration.ofSeconds(5)).until(() -> until.test(link.stats()));
    }

    @Test
    void aGenuineDatagramIsHandedOn() throws Exception {
        send(new PeerCodec(KEY).seal(hb(7, 1)));
        awaitStats(s -> s.accepted() == 1);
        assertEquals(List.of(hb(7, 1)), received);
    }

    @Test
    void forgedDatagramsAreDroppedAndCounted() throws Exception {
        byte[] genuine = new PeerCodec(KEY).seal(hb(7, 1));
        byte[] badTag = genuine.clone();
        badTag[badTag.length - 1] ^= 1;
        byte[] tampered = new PeerCodec(KEY).seal(new PeerLink.Packet("hb", "s1", "b", 1, 100, 7, 2, 0, 0));
        tampered[10] ^= 1; // a byte of the payload, the tag left as it was
        send(badTag);
        send(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsBytes(hb(7, 3))); // no tag at all
        send(new PeerCodec(OTHER_KEY).seal(hb(7, 4))); // another site's key
        send(tampered);
        send(new byte[] {1, 2, 3});
        awaitStats(s -> s.badMac() == 5);
        assertEquals(List.of(), received);
        assertEquals(0, link.stats().accepted());
    }

    @Test
    void replayedDatagramsAreDroppedAndCounted() throws Exception {
        PeerCodec codec = new PeerCodec(KEY);
        byte[] first = codec.seal(hb(7, 1));
        send(first);
        send(first); // the same datagram again
        send(codec.seal(hb(7, 5)));
        send(codec.seal(hb(7, 4))); // older than the last accepted
        send(codec.seal(hb(8, 1))); // the peer restarted: a new boot id starts its own numbering
        send(first); // a recording of the earlier boot cannot switch the receiver back to it
        awaitStats(s -> s.accepted() + s.replayed() == 6);
        assertEquals(3, link.stats().replayed());
        assertEquals(List.of(hb(7, 1), hb(7, 5), hb(8, 1)), received);
    }

    @Test
    void datagramsFromAnotherAddressSiteOrSenderAreDropped() throws Exception {
        PeerCodec codec = new PeerCodec(KEY);
        try (DatagramChannel stranger = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            stranger.send(ByteBuffer.wrap(codec.seal(hb(7, 1))), linkAddress); // genuine bytes, wrong address
        }
        send(codec.seal(new PeerLink.Packet("hb", "s2", "b", 1, 100, 7, 2, 0, 0)));
        send(codec.seal(new PeerLink.Packet("hb", "s1", "a", 1, 100, 7, 3, 0, 0)));
        awaitStats(s -> s.foreign() == 3);
        assertEquals(List.of(), received);
        send(codec.seal(hb(7, 1))); // not marked as seen by the dropped ones
        awaitStats(s -> s.accepted() == 1);
    }

    @Test
    void theLinkStampsItsBootIdAndAStrictlyIncreasingNumber() throws Exception {
        long s1 = link.send("hb", 1, 10, 0, 0);
        long s2 = link.send("hb", 1, 20, 0, 0);
        ByteBuffer buf = ByteBuffer.allocate(2048);
        PeerCodec codec = new PeerCodec(KEY);
        peer.receive(buf);
        PeerLink.Packet p1 = codec.open(Arrays.copyOf(buf.array(), buf.position()), buf.position());
        buf.clear();
        peer.receive(buf);
        PeerLink.Packet p2 = codec.open(Arrays.copyOf(buf.array(), buf.position()), buf.position());
        assertEquals(List.of(s1, s1 + 1), List.of(p1.seq(), p2.seq()));
        assertEquals(s2, p2.seq());
        assertEquals(link.boot(), p1.boot());
        assertEquals("a", p1.from());
    }

    /** The tag as PeerCodec computes it, for payloads another agent version would send. */
    private static byte[] sealRaw(String json) throws Exception {
        byte[] payload = json.getBytes(StandardCharsets.UTF_8);
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(KEY.bytes(), "HmacSHA256"));
        byte[] tag = mac.doFinal(payload);
        byte[] out = Arrays.copyOf(payload, payload.length + tag.length);
        System.arraycopy(tag, 0, out, payload.length, tag.length);
        return out;
    }

    @Test
    void theUpgradeProgressRidesAlongAndOtherAgentVersionsAreUnderstood() throws Exception {
        link.announce("7:done");
        DatagramChannel listen = peer;
        link.send("ack", 1, 100, 0, 0);
        ByteBuffer buf = ByteBuffer.allocate(2048);
        listen.receive(buf);
        String sent = new String(buf.array(), 0, buf.position() - PeerCodec.TAG_BYTES, StandardCharsets.UTF_8);
        assertEquals(true, sent.contains("\"upgrade\":\"7:done\""), sent);
        // an older agent (no upgrade field) and a newer one (a field this one does not know) are both read
        send(sealRaw("{\"type\":\"hb\",\"site\":\"s1\",\"from\":\"b\",\"epoch\":1,\"sentAt\":100,\"boot\":9,"
                + "\"seq\":1,\"answersBoot\":0,\"answersSeq\":0}"));
        send(sealRaw("{\"type\":\"hb\",\"site\":\"s1\",\"from\":\"b\",\"epoch\":1,\"sentAt\":100,\"boot\":9,"
                + "\"seq\":2,\"answersBoot\":0,\"answersSeq\":0,\"upgrade\":\"8:installing\",\"someday\":{\"x\":1}}"));
        awaitStats(s -> s.accepted() == 2);
        assertEquals(null, received.get(0).upgrade());
        assertEquals("8:installing", received.get(1).upgrade());
        link.announce("x".repeat(65));
        link.send("ack", 1, 100, 0, 0);
        buf.clear();
        listen.receive(buf);
        String capped = new String(buf.array(), 0, buf.position() - PeerCodec.TAG_BYTES, StandardCharsets.UTF_8);
        assertEquals(false, capped.contains("upgrade"), "an oversized announcement is left out, never sent");
    }
}
