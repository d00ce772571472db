package io.geminik8s.agent.link.mqtt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The bytes the agent puts on the wire, against MQTT 5.0's layouts (section 3). */
class PacketsTest {

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    @Test
    void connectCarriesAPersistentSessionTheUserNameAndARetainedQos1WillWithItsDelay() {
        byte[] c = Packets.connect("c", "s/n", 150, 3600, 262_144, 32,
                new Packets.Will("w", new byte[] {1, 2}, 30));
        String expected = "10" + "2d" // CONNECT, remaining length 45
                + "00044d515454" + "05" // "MQTT", version 5
                + "ac" // user name, will retain, will QoS 1, will flag; Clean Start 0
                + "0096" // keepalive 150
                + "0d" + "1100000e10" + "210020" + "2700040000" // session expiry 3600, receive maximum 32,
                // maximum packet size 262,144
                + "000163" // client id "c"
                + "05" + "180000001e" // will delay 30
                + "000177" + "00020102" // will topic "w", payload 01 02
                + "0003732f6e"; // user name "s/n"
        assertEquals(expected, hex(c));
    }

    @Test
    void publishAndItsAnswersByQos() {
        assertEquals("3006" + "000174" + "00" + "6869",
                hex(Packets.publish("t", "hi".getBytes(StandardCharsets.UTF_8), 0, false, 0, false)));
        assertEquals("3b08" + "000174" + "0102" + "00" + "6869", // QoS 1, retained, DUP
                hex(Packets.publish("t", "hi".getBytes(StandardCharsets.UTF_8), 1, true, 0x0102, true)));
        assertEquals("40020102", hex(Packets.puback(0x0102)));
        assertEquals("3009" + "000174" + "03" + "230002" + "6869", // sets alias 2 for "t"
                hex(Packets.publish("t", "hi".getBytes(StandardCharsets.UTF_8), 0, false, 0, false, 2)));
        assertEquals("3209" + "0000" + "0007" + "03" + "230002" + "21", // uses it: an empty topic
                hex(Packets.publish("", new byte[] {0x21}, 1, false, 7, false, 2)));
        assertEquals("8208" + "0005" + "00" + "0002612f" + "01", hex(Packets.subscribe(5, "a/")));
        assertEquals("c000", hex(Packets.pingreq()));
        assertThrows(IllegalArgumentException.class, () -> Packets.publish("t", new byte[0], 2, false, 1, false));
    }

    @Test
    void disconnectNormalOrKeepingTheWillWithAReason() {
        assertEquals("e000", hex(Packets.disconnect(0, null)));
        assertEquals("e006" + "04" + "04" + "1f000178", hex(Packets.disconnect(Packets.DISCONNECT_WITH_WILL, "x")));
    }

    @Test
    void remainingLengthsAtEveryVariableByteIntegerBoundaryReadBackWhole() throws IOException {
        for (int size : new int[] {0, 121, 122, 123, 16_377, 16_378, 16_379, 200_000}) {
            byte[] payload = new byte[size];
            java.util.Arrays.fill(payload, (byte) 7);
            byte[] packet = Packets.publish("t", payload, 0, false, 0, false);
            var back = (PacketReader.Publish) new PacketReader(new ByteArrayInputStream(packet), 262_144).next();
            assertArrayEquals(payload, back.payload(), "payload of " + size);
        }
        // remaining length 127 is one byte (7f), 128 two (80 01), 16,384 three (80 80 01)
        assertEquals("307f", hex(Packets.publish("t", new byte[123], 0, false, 0, false)).substring(0, 4));
        assertEquals("308001", hex(Packets.publish("t", new byte[124], 0, false, 0, false)).substring(0, 6));
        assertEquals("30808001", hex(Packets.publish("t", new byte[16_380], 0, false, 0, false)).substring(0, 8));
    }

    @Test
    void refusesStringsMqttCannotCarry() {
        String tooLong = "x".repeat(65_536);
        assertThrows(IllegalArgumentException.class, () -> Packets.subscribe(1, tooLong));
    }
}
