package io.geminik8s.agent.link.mqtt;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Encodes the MQTT 5 packets the agent sends (OASIS MQTT 5.0, section 3): CONNECT, PUBLISH, PUBACK, SUBSCRIBE,
 * PINGREQ, DISCONNECT. Pure functions from values to the bytes on the wire; {@link PacketReader} reads the answers.
 */
public final class Packets {

    static final int CONNECT = 1;
    static final int CONNACK = 2;
    static final int PUBLISH = 3;
    static final int PUBACK = 4;
    static final int SUBSCRIBE = 8;
    static final int SUBACK = 9;
    static final int PINGREQ = 12;
    static final int PINGRESP = 13;
    static final int DISCONNECT = 14;

    /** Reason code of a DISCONNECT that asks the broker to publish the Last Will anyway. */
    public static final int DISCONNECT_WITH_WILL = 0x04;

    private Packets() {
    }

    /** The Last Will: published by the broker (retained, QoS 1) {@code delaySeconds} after an unclean loss. */
    public record Will(String topic, byte[] payload, long delaySeconds) {
    }

    /**
     * A CONNECT with Clean Start 0 (a persistent session), a user name and no password; the broker may have at most
     * {@code receiveMaximum} QoS 1 publishes to the agent unacknowledged.
     */
    public static byte[] connect(String clientId, String username, int keepAliveSeconds, long sessionExpirySeconds,
                                 int maximumPacketSize, int receiveMaximum, Will will) {
        Out v = new Out();
        v.string("MQTT");
        v.write(5);
        int flags = 0x80; // user name; Clean Start 0
        if (will != null) {
            flags |= 0x04 | (1 << 3) | 0x20; // will, will QoS 1, will retain
        }
        v.write(flags);
        v.u16(keepAliveSeconds);
        Out props = new Out();
        props.write(0x11);
        props.u32(sessionExpirySeconds);
        props.write(0x21);
        props.u16(receiveMaximum);
        props.write(0x27);
        props.u32(maximumPacketSize);
        v.properties(props);
        v.string(clientId);
        if (will != null) {
            Out willProps = new Out();
            willProps.write(0x18);
            willProps.u32(will.delaySeconds());
            v.properties(willProps);
            v.string(will.topic());
            v.binary(will.payload());
        }
        v.string(username);
        return frame(CONNECT << 4, v);
    }

    /** A PUBLISH without properties; {@code packetId} only with QoS 1. */
    public static byte[] publish(String topic, byte[] payload, int qos, boolean retain, int packetId, boolean dup) {
        return publish(topic, payload, qos, retain, packetId, dup, 0);
    }

    /**
     * A PUBLISH with a Topic Alias when {@code alias} > 0: with the topic, it sets the alias on this connection;
     * with an empty topic, it uses it.
     */
    public static byte[] publish(String topic, byte[] payload, int qos, boolean retain, int packetId, boolean dup,
                                 int alias) {
        if (qos < 0 || qos > 1) {
            throw new IllegalArgumentException("QoS " + qos + " is not supported (0 or 1)");
        }
        Out v = new Out();
        v.string(topic);
        if (qos > 0) {
            v.u16(packetId);
        }
        if (alias > 0) {
            v.write(3);
            v.write(0x23);
            v.u16(alias);
        } else {
            v.write(0); // no properties
        }
        v.writeBytes(payload);
        return frame(PUBLISH << 4 | (dup ? 0x08 : 0) | qos << 1 | (retain ? 1 : 0), v);
    }

    /** A PUBACK with reason 0 (success), in its short form. */
    public static byte[] puback(int packetId) {
        Out v = new Out();
        v.u16(packetId);
        return frame(PUBACK << 4, v);
    }

    /** A SUBSCRIBE of one filter at QoS 1. */
    public static byte[] subscribe(int packetId, String filter) {
        Out v = new Out();
        v.u16(packetId);
        v.write(0); // no properties
        v.string(filter);
        v.write(1); // maximum QoS 1; No Local 0, Retain As Published 0, Retain Handling 0
        return frame(SUBSCRIBE << 4 | 0x02, v);
    }

    public static byte[] pingreq() {
        return new byte[] {(byte) (PINGREQ << 4), 0};
    }

    /** A DISCONNECT; the reason string (MQTT 5 property 0x1F) only when not null. */
    public static byte[] disconnect(int reason, String reasonString) {
        if (reason == 0 && reasonString == null) {
            return new byte[] {(byte) (DISCONNECT << 4), 0};
        }
        Out v = new Out();
        v.write(reason);
        Out props = new Out();
        if (reasonString != null) {
            props.write(0x1F);
            props.string(reasonString);
        }
        v.properties(props);
        return frame(DISCONNECT << 4, v);
    }

    private static byte[] frame(int first, Out variable) {
        Out f = new Out();
        f.write(first);
        f.varint(variable.size());
        f.writeBytes(variable.toByteArray());
        return f.toByteArray();
    }

    /** The encodings of MQTT 5's data types (section 1.5). */
    static final class Out extends ByteArrayOutputStream {
        void u16(int v) {
            write(v >>> 8);
            write(v);
        }

        void u32(long v) {
            write((int) (v >>> 24));
            write((int) (v >>> 16));
            write((int) (v >>> 8));
            write((int) v);
        }

        void varint(int v) {
            if (v < 0 || v > 268_435_455) {
                throw new IllegalArgumentException("length " + v + " does not fit MQTT's variable byte integer");
            }
            do {
                int b = v & 0x7F;
                v >>>= 7;
                write(v > 0 ? b | 0x80 : b);
            } while (v > 0);
        }

        void string(String s) {
            binary(s.getBytes(StandardCharsets.UTF_8));
        }

        void binary(byte[] b) {
            if (b.length > 0xFFFF) {
                throw new IllegalArgumentException("a string or binary of " + b.length + " bytes (at most 65535)");
            }
            u16(b.length);
            writeBytes(b);
        }

        void properties(Out props) {
            varint(props.size());
            writeBytes(props.toByteArray());
        }
    }
}
