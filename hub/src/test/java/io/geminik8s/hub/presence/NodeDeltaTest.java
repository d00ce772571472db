package io.geminik8s.hub.presence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.geminik8s.protocol.Birth;
import io.geminik8s.protocol.Health;
import io.geminik8s.protocol.Role;
import io.geminik8s.protocol.Status;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The liveness rules applied within one flush interval (the SQL applies the same rule against stored state). */
class NodeDeltaTest {

    private static Birth birth(long session) {
        return new Birth("1.0", "s", "a", session, 1L, "t", null, Role.PRIMARY, Map.of(), List.of(), Map.of(), 0L);
    }

    private static Status status(long session, boolean online) {
        return new Status("1.0", "s", "a", session, online, 1L, online ? "connected" : "last-will");
    }

    @Test
    void aDeathOfTheSameSessionAfterTheBirthTakesTheNodeOffline() {
        NodeDelta d = new NodeDelta("s", "a");
        d.birth(birth(5), false, 100);
        d.status(status(5, false), false, 110);
        assertEquals(false, d.online);
        assertEquals("last-will", d.offlineReason);
        assertEquals(5L, d.session);
    }

    @Test
    void aLateDeathOfAnOlderSessionIsIgnored() {
        NodeDelta d = new NodeDelta("s", "a");
        d.birth(birth(6), false, 100);
        d.status(status(5, false), false, 110);
        assertEquals(true, d.online);
        assertEquals(6L, d.session);
    }

    @Test
    void retainedReplaysUpdateInventoryButProveNoLiveness() {
        NodeDelta d = new NodeDelta("s", "a");
        d.birth(birth(7), true, 100);
        d.status(status(7, true), true, 100);
        assertNull(d.online);
        assertEquals(0, d.lastSeen);
        assertEquals(7L, d.birth.session());
        d.status(status(7, false), true, 100); // a retained Last Will does count: the node died
        assertEquals(false, d.online);
    }

    @Test
    void healthAfterADeathMeansTheNodeIsBack() {
        NodeDelta d = new NodeDelta("s", "a");
        d.status(status(3, false), false, 100);
        d.health(new Health("1.0", "s", "a", 5L, null, null, null, null, null, null, null, null, null), false, 120);
        assertEquals(true, d.online);
        assertEquals(120, d.lastSeen);
    }

    @Test
    void aFailedWriteFoldsUnderNewerState() {
        NodeDelta old = new NodeDelta("s", "a");
        old.birth(birth(8), false, 100);
        NodeDelta newer = new NodeDelta("s", "a");
        newer.status(status(8, false), false, 200);
        newer.mergeOlder(old);
        assertEquals(false, newer.online, "the newer verdict stands");
        assertEquals(8L, newer.birth.session(), "the older birth's inventory is kept");
        assertEquals(100, newer.lastSeen);
    }

    @Test
    void aDeltaInTheSameFlushIsFilledInFromTheSampleBeforeIt() {
        NodeDelta d = new NodeDelta("s", "a");
        Health complete = new Health("1.4", "s", "a", 1_000L, 1.0, 10L, 100L, 20L, 200L, 5L,
                new Health.Pg(Role.STANDBY, 0L, true, null), null, 4L, 9L, 1L, null);
        d.health(complete, false, 100);
        d.health(new Health("1.4", "s", "a", 2_000L, 2.0, 11L, null, 21L, null, 6L, null, null, null, null, 2L, null),
                false, 110);
        assertEquals(new Health("1.4", "s", "a", 2_000L, 2.0, 11L, 100L, 21L, 200L, 6L, complete.pg(), null, 4L, 9L, 2L,
                null), d.health, "one write for both, nothing the delta left out lost");
        NodeDelta late = new NodeDelta("s", "a");
        late.health(new Health("1.4", "s", "a", 3_000L, 3.0, 12L, null, 22L, null, 7L, null, null, null, null, 3L,
                null), false, 120);
        NodeDelta folded = late.mergeOlder(d); // the flush of d failed: folded under the newer one
        assertEquals(9L, folded.health.session());
        assertEquals(3L, folded.health.sample());
        assertEquals(100L, folded.health.memTotalBytes());
    }
}
