package io.geminik8s.hub.presence;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.geminik8s.protocol.Status;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A held Last Will counts after the grace unless the node is heard from on the same or a newer connection. */
class DeferredWillsTest {

    private static Status will(long session) {
        return new Status("1.0", "s", "a", session, false, 1L, "last-will");
    }

    @Test
    void aWillCountsAfterTheGraceWhenTheNodeStaysSilent() {
        DeferredWills w = new DeferredWills();
        w.hold("s/a", will(5), 1_000);
        assertEquals(List.of(), w.due(15_999, 15_000), "not before the grace");
        assertEquals(List.of(will(5)), w.due(16_000, 15_000));
        assertEquals(List.of(), w.due(99_000, 15_000), "once");
    }

    @Test
    void aNodeHeardWithinTheGraceCancelsItsWill() {
        DeferredWills w = new DeferredWills();
        w.hold("s/a", will(5), 1_000);
        w.heard("s/a", null); // health or an event: the node is alive
        assertEquals(List.of(), w.due(60_000, 15_000));
        w.hold("s/a", will(5), 1_000);
        w.heard("s/a", 5L); // a birth of the same connection (it reconnected with its session)
        assertEquals(List.of(), w.due(60_000, 15_000));
    }

    @Test
    void anOlderConnectionsBirthDoesNotCancelANewerWill() {
        DeferredWills w = new DeferredWills();
        w.hold("s/a", will(7), 1_000);
        w.heard("s/a", 6L);
        w.heard("s/b", null);
        assertEquals(List.of(will(7)), w.due(16_000, 15_000));
    }
}
