package io.geminik8s.agent.link.mqtt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The agent's MQTT 5 reader, fed what a broker (or someone pretending to be one) sends. */
class PacketReaderTest {

    private static PacketReader.Incoming read(String hex) throws IOException {
        return new PacketReader(new ByteArrayInputStream(HexFormat.of().parseHex(hex.replace(" ", ""))), 1024).next();
    }

    @Test
    void readsConnAckWithTheServersKeepAliveReceiveMaximumAndUnknownToUsProperties() throws IOException {
        // session present; reason 0; properties: Server Keep Alive 60, Receive Maximum 10, Topic Alias Maximum 5,
        // a User Property ("a","b"), Maximum QoS 1
        var ack = (PacketReader.ConnAck) read("20 15 01 00 12 13 003c 21 000a 22 0005 26 0001 61 0001 62 24 01");
        assertTrue(ack.sessionPresent());
        assertEquals(0, ack.reason());
        assertEquals(60, ack.serverKeepAlive());
        assertEquals(10, ack.receiveMaximum());
        assertEquals(5, ack.topicAliasMaximum());
        assertEquals(1, ack.maximumQos());
        assertTrue(ack.retainAvailable());
        assertEquals(0, ack.maximumPacketSize());
        var limits = (PacketReader.ConnAck) read("20 0a 00 00 07 25 00 27 00000040"); // no retain, 64-byte packets
        assertFalse(limits.retainAvailable());
        assertEquals(64, limits.maximumPacketSize());
        assertEquals(2, limits.maximumQos());
        var bare = (PacketReader.ConnAck) read("20 03 00 87 00");
        assertFalse(bare.sessionPresent());
        assertEquals(0x87, bare.reason());
        assertEquals(-1, bare.serverKeepAlive());
        assertEquals(-1, bare.receiveMaximum());
        assertEquals(0, bare.topicAliasMaximum());
    }

    @Test
    void readsPublishesAtQos0And1() throws IOException {
        var p0 = (PacketReader.Publish) read("30 06 0001 74 00 68 69"); // topic "t", no properties, "hi"
        assertEquals("t", p0.topic());
        assertEquals(0, p0.qos());
        assertArrayEquals("hi".getBytes(StandardCharsets.UTF_8), p0.payload());
        var p1 = (PacketReader.Publish) read("32 07 0001 74 1234 00 21");
        assertEquals(1, p1.qos());
        assertEquals(0x1234, p1.packetId());
        assertArrayEquals(new byte[] {0x21}, p1.payload());
    }

    @Test
    void readsPubAckInEveryFormSubAckAndDisconnect() throws IOException {
        var shortForm = (PacketReader.PubAck) read("40 02 0007");
        assertEquals(7, shortForm.packetId());
        assertEquals(0, shortForm.reason());
        var refused = (PacketReader.PubAck) read("40 0b 0007 87 07 1f 0004 6e 6f 70 65"); // reason string "nope"
        assertEquals(0x87, refused.reason());
        assertEquals("nope", refused.reasonString());
        var noProps = (PacketReader.PubAck) read("40 03 0008 10");
        assertEquals(0x10, noProps.reason());
        assertNull(noProps.reasonString());
        var sub = (PacketReader.SubAck) read("90 04 0003 00 01");
        assertEquals(3, sub.packetId());
        assertArrayEquals(new int[] {1}, sub.reasons());
        var bye = (PacketReader.Disconnect) read("e0 0a 8b 08 1f 0005 73 68 75 74 21");
        assertEquals(0x8b, bye.reason());
        assertEquals("shut!", bye.reasonString());
        assertEquals(0, ((PacketReader.Disconnect) read("e0 00")).reason());
        assertInstanceOf(PacketReader.PingResp.class, read("d0 00"));
    }

    @Test
    void refusesAPacketLargerThanAnnouncedBeforeReadingIt() {
        // remaining length 268,435,455 with no body behind it: refused from the header, nothing allocated
        var e = assertThrows(PacketReader.ProtocolError.class, () -> read("30 ff ff ff 7f"));
        assertTrue(e.getMessage().contains("at most 1024"), e.getMessage());
        assertThrows(PacketReader.ProtocolError.class, () -> read("30 ff ff ff ff 01"), "a 5-byte length");
    }

    @Test
    void refusesWhatTheAgentNeverAskedFor() {
        assertThrows(PacketReader.ProtocolError.class, () -> read("34 06 0001 74 0001 00"), "QoS 2");
        assertThrows(PacketReader.ProtocolError.class, () -> read("36 06 0001 74 0001 00"), "QoS 3");
        assertThrows(PacketReader.ProtocolError.class, () -> read("30 06 0000 03 23 0001"), "topic alias");
        assertThrows(PacketReader.ProtocolError.class, () -> read("30 03 0000 00"), "empty topic");
        assertThrows(PacketReader.ProtocolError.class, () -> read("32 06 0001 74 0000 00"), "packet id 0");
        assertThrows(PacketReader.ProtocolError.class, () -> read("f0 00"), "AUTH");
        assertThrows(PacketReader.ProtocolError.class, () -> read("10 00"), "CONNECT from a broker");
        assertThrows(PacketReader.ProtocolError.class, () -> read("62 02 0001"), "PUBREL");
    }

    @Test
    void refusesMalformedFields() {
        assertThrows(PacketReader.ProtocolError.class, () -> read("30 05 0002 c3 28 00"), "invalid UTF-8");
        assertThrows(PacketReader.ProtocolError.class, () -> read("30 05 0001 74 01 7f"), "unknown property");
        assertThrows(PacketReader.ProtocolError.class, () -> read("30 04 0001 74 05"), "properties past the end");
        assertThrows(PacketReader.ProtocolError.class, () -> read("30 04 0009 74 74"), "topic past the end");
        assertThrows(PacketReader.ProtocolError.class, () -> read("20 05 00 00 02 13 00"), "a cut property");
        assertThrows(PacketReader.ProtocolError.class, () -> read("40 01 00"), "a 1-byte PUBACK");
    }

    @Test
    void aStreamThatEndsInsideAPacketIsAnEndNotAPacket() {
        assertThrows(EOFException.class, () -> read(""));
        assertThrows(EOFException.class, () -> read("30"));
        assertThrows(EOFException.class, () -> read("30 80"));
        assertThrows(EOFException.class, () -> read("30 06 0001 74"));
    }

    @Test
    void readsPacketsBackToBackAndAcrossSplitReads() throws IOException {
        byte[] two = HexFormat.of().parseHex("d000" + "40020009");
        InputStream trickle = new InputStream() { // one byte per read call, as a slow link delivers
            int i;

            @Override
            public int read() {
                return i < two.length ? two[i++] & 0xFF : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (len == 0) {
                    return 0;
                }
                if (i >= two.length) {
                    return -1;
                }
                b[off] = two[i++];
                return 1;
            }
        };
        PacketReader r = new PacketReader(trickle, 64);
        assertInstanceOf(PacketReader.PingResp.class, r.next());
        assertEquals(9, ((PacketReader.PubAck) r.next()).packetId());
        assertThrows(EOFException.class, r::next);
    }
}
