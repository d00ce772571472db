package io.geminik8s.agent.ha;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.security.SecureRandom;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The site-LAN channel between the two agents of a pair: small UDP datagrams, heartbeats from the holder and
 * "following epoch N" acks from the standby. UDP on purpose: a lost datagram is just a missed heartbeat, and
 * nothing ever blocks on a dead peer.
 *
 * <p>Every datagram is authenticated with the site's {@link PeerKey} ({@link PeerCodec}) and numbered under this
 * link's random boot id; the receiver drops, and counts, datagrams with a wrong or missing tag, from any address but
 * the configured peer's, of another site or sender, or not newer than the last accepted ({@link ReplayGuard}).
 */
public final class PeerLink implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PeerLink.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * {@code type}: "hb" (holder → standby) or "ack" (standby → holder). {@code boot}/{@code seq}: the sender's boot
     * id and datagram number. An ack names the heartbeat it answers ({@code answersBoot}/{@code answersSeq}) and
     * echoes its {@code sentAt}; the holder trusts neither time nor number but its own record of what it sent.
     */
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    public record Packet(String type, String site, String from, long epoch, long sentAt, long boot, long seq,
                         long answersBoot, long answersSeq, String upgrade) {
        public Packet(String type, String site, String from, long epoch, long sentAt, long boot, long seq,
                      long answersBoot, long answersSeq) {
            this(type, site, from, epoch, sentAt, boot, seq, answersBoot, answersSeq, null);
        }
    }

    private final DatagramChannel channel;
    private final InetSocketAddress peer;
    private final String site;
    private final String self;
    private final String peerName;
    private final PeerCodec codec;
    private final ReplayGuard replays = new ReplayGuard();
    private final long boot = RANDOM.nextLong();
    private final AtomicLong seq = new AtomicLong();
    /** This node's upgrade progress ({@code generation:step}), carried on every datagram; null: none. */
    private volatile String progress;
    private final AtomicLong accepted = new AtomicLong();
    private final Map<PeerCodec.Drop, AtomicLong> dropped = new EnumMap<>(PeerCodec.Drop.class);
    private final Thread receiver;

    /** {@code self}: this node's id, put into every datagram it sends; {@code peerName}: the only sender accepted. */
    public PeerLink(InetSocketAddress bind, InetSocketAddress peer, String site, String self, String peerName,
                    PeerKey key, Consumer<Packet> onPacket) {
        this.peer = peer;
        this.site = site;
        this.self = self;
        this.peerName = peerName;
        this.codec = new PeerCodec(key);
        for (PeerCodec.Drop d : PeerCodec.Drop.values()) {
            dropped.put(d, new AtomicLong());
        }
        try {
            this.channel = DatagramChannel.open().bind(bind);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind the peer link to " + bind, e);
        }
        this.receiver = new Thread(() -> receive(onPacket), "gk8s-peer-link");
        receiver.setDaemon(true);
        receiver.start();
    }

    /** This link's boot id: acks for heartbeats it sent name it. */
    public long boot() {
        return boot;
    }

    /** What every following datagram announces of this node's upgrade (at most 64 chars; null: nothing). */
    public void announce(String upgrade) {
        this.progress = upgrade == null || upgrade.length() > 64 ? null : upgrade;
    }

    /**
     * Sends a datagram; best effort, never blocks for long: a datagram that cannot be sent is a missed heartbeat.
     *
     * @return the sequence number it carries
     */
    public long send(String type, long epoch, long sentAt, long answersBoot, long answersSeq) {
        long n = seq.incrementAndGet();
        byte[] bytes = codec.seal(new Packet(type, site, self, epoch, sentAt, boot, n, answersBoot, answersSeq,
                progress));
        try {
            channel.send(ByteBuffer.wrap(bytes), peer);
        } catch (IOException e) {
            LOG.fine(() -> "peer datagram not sent: " + e.getMessage());
        }
        return n;
    }

    /** Datagrams handed on, and dropped by reason, since this link started. */
    public record Stats(long accepted, long badMac, long malformed, long foreign, long replayed) {
    }

    public Stats stats() {
        return new Stats(accepted.get(), dropped.get(PeerCodec.Drop.BAD_MAC).get(),
                dropped.get(PeerCodec.Drop.MALFORMED).get(), dropped.get(PeerCodec.Drop.FOREIGN).get(),
                dropped.get(PeerCodec.Drop.REPLAYED).get());
    }

    private void receive(Consumer<Packet> onPacket) {
        ByteBuffer buf = ByteBuffer.allocate(2048);
        while (channel.isOpen()) {
            try {
                buf.clear();
                SocketAddress from = channel.receive(buf);
                onPacket.accept(check(from, buf.array(), buf.position()));
                accepted.incrementAndGet();
            } catch (PeerCodec.Rejected e) {
                long n = dropped.get(e.reason).incrementAndGet();
                if (Long.bitCount(n) == 1) { // 1st, 2nd, 4th, 8th…: visible, never a flood
                    LOG.warning("peer datagram dropped (" + e.reason + ", " + n + " so far): " + e.getMessage());
                }
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                LOG.fine(() -> "peer link: " + e.getMessage());
            }
        }
    }

    private Packet check(SocketAddress from, byte[] datagram, int length) throws PeerCodec.Rejected {
        if (!(from instanceof InetSocketAddress a) || !a.getAddress().equals(peer.getAddress())
                || a.getPort() != peer.getPort()) {
            throw new PeerCodec.Rejected(PeerCodec.Drop.FOREIGN, "from " + from + ", not the peer " + peer);
        }
        Packet p = codec.open(datagram, length);
        if (!site.equals(p.site()) || !peerName.equals(p.from())) {
            throw new PeerCodec.Rejected(PeerCodec.Drop.FOREIGN, "from " + p.site() + "/" + p.from());
        }
        if (!replays.accept(p.boot(), p.seq())) {
            throw new PeerCodec.Rejected(PeerCodec.Drop.REPLAYED, "boot " + p.boot() + " seq " + p.seq()
                    + " not newer than the last accepted");
        }
        return p;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.fine(e.getMessage());
        }
    }
}
