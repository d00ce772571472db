package io.geminik8s.agent.ha;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The site-LAN channel between the two agents of a pair: small UDP datagrams, heartbeats from the holder and
 * "following epoch N" acks from the standby. UDP on purpose: a lost datagram is just a missed heartbeat, and
 * nothing ever blocks on a dead peer. Datagrams of another site or from another sender are ignored.
 * Authentication of the peer (a per-site key) comes with enrollment.
 */
public final class PeerLink implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PeerLink.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code type}: "hb" (holder → standby) or "ack" (standby → holder, echoing the heartbeat's sentAt). */
    public record Packet(String type, String site, String from, long epoch, long sentAt) {
    }

    private final DatagramChannel channel;
    private final SocketAddress peer;
    private final String site;
    private final String peerName;
    private final Thread receiver;

    public PeerLink(InetSocketAddress bind, InetSocketAddress peer, String site, String peerName,
                    Consumer<Packet> onPacket) {
        this.peer = peer;
        this.site = site;
        this.peerName = peerName;
        try {
            this.channel = DatagramChannel.open().bind(bind);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind the peer link to " + bind, e);
        }
        this.receiver = new Thread(() -> receive(onPacket), "gk8s-peer-link");
        receiver.setDaemon(true);
        receiver.start();
    }

    /** Best effort, never blocks for long: a datagram that cannot be sent is a missed heartbeat. */
    public void send(Packet p) {
        try {
            channel.send(ByteBuffer.wrap(JSON.writeValueAsBytes(p)), peer);
        } catch (IOException e) {
            LOG.fine(() -> "peer datagram not sent: " + e.getMessage());
        }
    }

    private void receive(Consumer<Packet> onPacket) {
        ByteBuffer buf = ByteBuffer.allocate(1024);
        while (channel.isOpen()) {
            try {
                buf.clear();
                channel.receive(buf);
                buf.flip();
                Packet p = JSON.readValue(buf.array(), 0, buf.limit(), Packet.class);
                if (site.equals(p.site()) && peerName.equals(p.from())) {
                    onPacket.accept(p);
                }
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                LOG.fine(() -> "peer datagram ignored: " + e.getMessage());
            }
        }
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
