package io.geminik8s.agent.link.mqtt;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads the MQTT 5 packets a broker sends to the agent, one at a time, and refuses what the agent never asked for
 * (QoS 2, topic aliases, AUTH, packets over the size it announced) with a {@link ProtocolError}: the connection is
 * then closed, as section 4.13 of MQTT 5 asks.
 */
public final class PacketReader {

    /** What a broker sent. */
    public sealed interface Incoming {
    }

    /**
     * CONNACK: {@code serverKeepAlive} and {@code receiveMaximum} are -1 when the broker left them out;
     * {@code topicAliasMaximum} 0 (none may be used); {@code maximumPacketSize} 0 (no limit); {@code maximumQos} 2
     * and {@code retainAvailable} true unless the broker says less.
     */
    public record ConnAck(boolean sessionPresent, int reason, int serverKeepAlive, int receiveMaximum,
                          int topicAliasMaximum, long maximumPacketSize, int maximumQos, boolean retainAvailable,
                          String reasonString) implements Incoming {
    }

    public record Publish(String topic, byte[] payload, int qos, int packetId) implements Incoming {
    }

    public record PubAck(int packetId, int reason, String reasonString) implements Incoming {
    }

    public record SubAck(int packetId, int[] reasons) implements Incoming {
    }

    public record PingResp() implements Incoming {
    }

    public record Disconnect(int reason, String reasonString) implements Incoming {
    }

    /** A packet that breaks MQTT 5 or what the agent announced; the connection must be closed. */
    public static final class ProtocolError extends IOException {
        public ProtocolError(String message) {
            super(message);
        }
    }

    private final InputStream in;
    private final int maximumPacketSize;

    public PacketReader(InputStream in, int maximumPacketSize) {
        this.in = in;
        this.maximumPacketSize = maximumPacketSize;
    }

    /** The next packet; blocks until it is complete. {@link EOFException} when the stream ends. */
    public Incoming next() throws IOException {
        int first = in.read();
        if (first < 0) {
            throw new EOFException("the broker closed the connection");
        }
        int length = 0;
        int header = 1;
        for (int shift = 0; ; shift += 7) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("the connection ended inside a packet header");
            }
            header++;
            length |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                break;
            }
            if (shift == 21) {
                throw new ProtocolError("malformed remaining length");
            }
        }
        if ((long) length + header > maximumPacketSize) {
            throw new ProtocolError("a packet of " + (length + header) + " bytes; the agent announced at most "
                    + maximumPacketSize);
        }
        Body body = new Body(in.readNBytes(length));
        if (body.bytes.length < length) {
            throw new EOFException("the connection ended inside a packet");
        }
        int type = first >>> 4;
        int flags = first & 0x0F;
        return switch (type) {
            case Packets.CONNACK -> connack(body);
            case Packets.PUBLISH -> publish(flags, body);
            case Packets.PUBACK -> puback(body);
            case Packets.SUBACK -> suback(body);
            case Packets.PINGRESP -> new PingResp();
            case Packets.DISCONNECT -> disconnect(body);
            default -> throw new ProtocolError("unexpected packet type " + type);
        };
    }

    private static ConnAck connack(Body b) throws ProtocolError {
        boolean present = (b.u8() & 0x01) != 0;
        int reason = b.u8();
        Props p = b.properties();
        return new ConnAck(present, reason, p.serverKeepAlive, p.receiveMaximum, p.topicAliasMaximum,
                p.maximumPacketSize, p.maximumQos, p.retainAvailable, p.reasonString);
    }

    private static Publish publish(int flags, Body b) throws ProtocolError {
        int qos = (flags >>> 1) & 0x03;
        if (qos > 1) {
            throw new ProtocolError("a PUBLISH at QoS " + qos + " (the agent subscribes at QoS 1 at most)");
        }
        String topic = b.string();
        int packetId = qos > 0 ? b.u16() : 0;
        if (qos > 0 && packetId == 0) {
            throw new ProtocolError("a QoS 1 PUBLISH with packet identifier 0");
        }
        Props p = b.properties();
        if (topic.isEmpty() || p.topicAlias) {
            throw new ProtocolError("a PUBLISH with a topic alias (the agent announced none)");
        }
        return new Publish(topic, b.rest(), qos, packetId);
    }

    private static PubAck puback(Body b) throws ProtocolError {
        int id = b.u16();
        int reason = b.remaining() > 0 ? b.u8() : 0;
        String why = b.remaining() > 0 ? b.properties().reasonString : null;
        return new PubAck(id, reason, why);
    }

    private static SubAck suback(Body b) throws ProtocolError {
        int id = b.u16();
        b.properties();
        byte[] rest = b.rest();
        int[] reasons = new int[rest.length];
        for (int i = 0; i < rest.length; i++) {
            reasons[i] = rest[i] & 0xFF;
        }
        return new SubAck(id, reasons);
    }

    private static Disconnect disconnect(Body b) throws ProtocolError {
        int reason = b.remaining() > 0 ? b.u8() : 0;
        String why = b.remaining() > 0 ? b.properties().reasonString : null;
        return new Disconnect(reason, why);
    }

    /** The properties the agent reads; the others are checked for form and skipped. */
    private static final class Props {
        int serverKeepAlive = -1;
        int receiveMaximum = -1;
        int topicAliasMaximum;
        long maximumPacketSize;
        int maximumQos = 2;
        boolean retainAvailable = true;
        String reasonString;
        boolean topicAlias;
    }

    private static final class Body {
        private final byte[] bytes;
        private int pos;

        Body(byte[] bytes) {
            this.bytes = bytes;
        }

        int remaining() {
            return bytes.length - pos;
        }

        private void need(int n) throws ProtocolError {
            if (remaining() < n) {
                throw new ProtocolError("a packet shorter than its fields");
            }
        }

        int u8() throws ProtocolError {
            need(1);
            return bytes[pos++] & 0xFF;
        }

        int u16() throws ProtocolError {
            return u8() << 8 | u8();
        }

        long u32() throws ProtocolError {
            return (long) u16() << 16 | u16();
        }

        int varint() throws ProtocolError {
            int value = 0;
            for (int shift = 0; shift <= 21; shift += 7) {
                int b = u8();
                value |= (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return value;
                }
            }
            throw new ProtocolError("malformed variable byte integer");
        }

        byte[] binary() throws ProtocolError {
            int n = u16();
            need(n);
            byte[] b = java.util.Arrays.copyOfRange(bytes, pos, pos + n);
            pos += n;
            return b;
        }

        String string() throws ProtocolError {
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(java.nio.ByteBuffer.wrap(binary())).toString();
            } catch (CharacterCodingException e) {
                throw new ProtocolError("a string that is not UTF-8");
            }
        }

        byte[] rest() {
            byte[] b = java.util.Arrays.copyOfRange(bytes, pos, bytes.length);
            pos = bytes.length;
            return b;
        }

        Props properties() throws ProtocolError {
            int length = varint();
            need(length);
            int end = pos + length;
            Props p = new Props();
            while (pos < end) {
                int id = varint();
                switch (id) {
                    case 0x13 -> p.serverKeepAlive = u16();
                    case 0x21 -> p.receiveMaximum = u16();
                    case 0x23 -> {
                        u16();
                        p.topicAlias = true;
                    }
                    case 0x1F -> p.reasonString = string();
                    case 0x24 -> p.maximumQos = u8();
                    case 0x25 -> p.retainAvailable = u8() != 0;
                    case 0x27 -> p.maximumPacketSize = u32();
                    case 0x01, 0x17, 0x19, 0x28, 0x29, 0x2A -> u8();
                    case 0x22 -> p.topicAliasMaximum = u16();
                    case 0x02, 0x11, 0x18 -> u32();
                    case 0x0B -> varint();
                    case 0x03, 0x08, 0x12, 0x15, 0x1A, 0x1C -> string();
                    case 0x09, 0x16 -> binary();
                    case 0x26 -> {
                        string();
                        string();
                    }
                    default -> throw new ProtocolError("unknown property 0x" + Integer.toHexString(id));
                }
            }
            if (pos != end) {
                throw new ProtocolError("properties longer than their length");
            }
            return p;
        }
    }
}
