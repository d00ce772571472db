package io.geminik8s.loadtest.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The wire count reads the agent's own socket from {@code ss -tinH}; these are lines this machine's ss printed. */
class AgentFootprintSocketTest {

    private static final String MAPPED = "0      0      [::ffff:127.0.0.1]:52272 [::ffff:127.0.0.1]:46379\n"
            + "\t bbr wscale:10,10 rto:208 rtt:7.469/11.917 ato:40 mss:32768 pmtu:65535 rcvmss:1473 advmss:65483"
            + " cwnd:17 bytes_sent:2565 bytes_acked:2566 bytes_received:3020 segs_out:13 segs_in:13"
            + " data_segs_out:7 data_segs_in:9 lastsnd:4956\n";

    @Test
    void readsTheCountersOfTheAgentsEndOfAnIpv4MappedConnection() {
        AgentFootprint.Socket s = AgentFootprint.Socket.parse(MAPPED, 46379);
        assertEquals(52272, s.localPort());
        assertEquals(2565, s.bytesSent());
        assertEquals(3020, s.bytesReceived());
        assertEquals(13, s.segsOut());
        assertEquals(13, s.segsIn());
        assertEquals(2565 + 3020 + 26L * AgentFootprint.Socket.headerBytes(), s.ipBytes());
    }

    @Test
    void refusesNoConnectionOrTwoConnections() {
        assertThrows(IllegalStateException.class, () -> AgentFootprint.Socket.parse(MAPPED, 46380));
        assertThrows(IllegalStateException.class, () -> AgentFootprint.Socket.parse(MAPPED
                + MAPPED.replace(":52272", ":52273"), 46379));
    }
}
