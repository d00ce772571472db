package io.geminik8s.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.protocol.Health;
import io.geminik8s.protocol.HealthDelta;
import io.geminik8s.protocol.Role;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which samples go complete, which as 1.4 deltas, which at QoS 1. */
class HealthShaperTest {

    private static Health sample(long session, long n, Role role) {
        return new Health("1.4", "s", "a", 1_000L * n, 1.5, 100L + n, 1000L, 200L + n, 2000L, n, new Health.Pg(role,
                0L, true, null), null, 3L, session, n, null);
    }

    @Test
    void aConnectionStartsCompleteThenSendsDeltasWithACompleteSampleEveryTenth() {
        HealthShaper shaper = new HealthShaper(4);
        List<HealthShaper.Shaped> out = new ArrayList<>();
        for (long n = 1; n <= 21; n++) {
            out.add(shaper.shape(sample(7, n, Role.PRIMARY)));
        }
        for (int i = 0; i < out.size(); i++) {
            assertEquals(i % 10 == 0, out.get(i).complete(), "sample " + (i + 1));
            assertEquals(i % 4 == 0 ? 1 : 0, out.get(i).qos(), "every 4th at QoS 1, the connection's first too");
        }
        Health delta = out.get(1).health();
        assertTrue(HealthDelta.isDelta(delta));
        assertNull(delta.memTotalBytes());
        assertNull(delta.pg());
        assertNull(delta.uptimeS(), "the reader moves the uptime on by the time between the samples");
        assertEquals(102L, delta.memUsedBytes(), "what moves is sent every time");
        assertEquals(sample(7, 2, Role.PRIMARY), HealthDelta.over(delta, out.get(0).health()),
                "the reader's fill-in gives the sample back");
        assertEquals(7L, out.get(10).health().session());
    }

    @Test
    void aChangeGoesOutCompleteTwiceAndANewConnectionStartsOver() {
        HealthShaper shaper = new HealthShaper(0);
        shaper.shape(sample(7, 1, Role.STANDBY));
        assertFalse(shaper.shape(sample(7, 2, Role.STANDBY)).complete());
        assertTrue(shaper.shape(sample(7, 3, Role.PRIMARY)).complete(), "the promotion");
        HealthShaper.Shaped again = shaper.shape(sample(7, 4, Role.PRIMARY));
        assertTrue(again.complete(), "and once more: one lost sample hides nothing");
        assertEquals(0, again.qos(), "ackEvery 0: QoS 0 only");
        assertFalse(shaper.shape(sample(7, 5, Role.PRIMARY)).complete());
        assertTrue(shaper.shape(sample(8, 6, Role.PRIMARY)).complete(), "a new connection's first sample");
        Health noCpu = new Health("1.4", "s", "a", 7_000L, null, 107L, 1000L, 207L, 2000L, 7L,
                new Health.Pg(Role.PRIMARY, 0L, true, null), null, 3L, 8L, 7L, null);
        assertFalse(shaper.shape(sample(8, 7, Role.PRIMARY)).complete());
        assertTrue(shaper.shape(noCpu).complete(), "a field that went away: a delta cannot say so");
    }

    @Test
    void theQos1CadenceKeepsTheClientFromPinging() {
        assertEquals(4, HealthShaper.ackEvery(Duration.ofSeconds(150), Duration.ofSeconds(30)));
        assertEquals(1, HealthShaper.ackEvery(Duration.ofSeconds(60), Duration.ofSeconds(30)));
        assertEquals(0, HealthShaper.ackEvery(Duration.ofSeconds(30), Duration.ofSeconds(30)),
                "a keepalive not longer than the interval: the client pings anyway, no QoS 1");
    }
}
