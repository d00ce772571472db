package io.geminik8s.hub.witness;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.geminik8s.hub.witness.WitnessEvents.SiteEvent;
import io.geminik8s.hub.witness.WitnessRules.Timing;
import io.geminik8s.protocol.WitnessRequest;
import io.geminik8s.protocol.WitnessRequest.Op;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The site history a failover leaves: started (once per epoch), finished, and a stale primary told to step down. */
class WitnessEventsTest {

    private static final Timing T = new Timing(3000, 1500);

    private static WitnessRequest req(String node, Op op, long epoch, String peer, Long silentMs) {
        return new WitnessRequest("1.0", "r", "s1", node, 0L, op, epoch, peer, silentMs);
    }

    /** Decides {@code r} on {@code s} at {@code now}; returns the events and moves {@code s[0]} on. */
    private static List<SiteEvent> step(LeaseState[] s, WitnessRequest r, long now) {
        WitnessRules.Decision d = WitnessRules.decide(s[0], r, now, T);
        List<SiteEvent> events = WitnessEvents.of(s[0], r, d, now);
        s[0] = d.next();
        return events;
    }

    private static List<String> types(List<SiteEvent> events) {
        return events.stream().map(SiteEvent::type).toList();
    }

    @Test
    void aFailoverIsStartedOnceFinishedWithItsTimingsAndAStalePrimaryIsRecorded() {
        LeaseState[] s = {LeaseState.fresh("s1")};
        assertEquals(List.of("witness.bootstrap"), types(step(s, req("a", Op.PROMOTE, 1, null, 0L), 0)));
        assertEquals(List.of("witness.standby-eligible"), types(step(s, req("a", Op.PEER_OK, 1, "b", null), 10)));
        assertEquals(List.of(), types(step(s, req("a", Op.RENEW, 1, null, null), 1000)), "a renewal is no news");

        List<SiteEvent> started = step(s, req("b", Op.PROMOTE, 2, null, 1500L), 10_000);
        assertEquals(List.of("witness.failover-started"), types(started));
        assertEquals("2", started.get(0).once(), "stored once per epoch, however often b asks");
        assertEquals("b", started.get(0).attrs().get("candidate"));

        List<SiteEvent> finished = step(s, req("b", Op.PROMOTE, 2, null, 4600L), 13_100);
        assertEquals(List.of("witness.failover-finished"), types(finished));
        assertEquals("a", finished.get(0).attrs().get("previous"));
        assertEquals("12100", finished.get(0).attrs().get("holder_renewed_ms_ago"));
        assertEquals("4600", finished.get(0).attrs().get("standby_silent_ms"));

        List<SiteEvent> stale = step(s, req("a", Op.RENEW, 1, null, null), 14_000);
        assertEquals(List.of("witness.split-prevented"), types(stale));
        assertEquals("1/a", stale.get(0).once());
        assertEquals(List.of(), types(step(s, req("b", Op.PEER_LOST, 1, "a", null), 14_100)),
                "a late request of the new holder for its old epoch is refused without a split event");
        assertEquals(List.of("witness.standby-eligible"), types(step(s, req("b", Op.PEER_OK, 2, "a", null), 20_000)),
                "a rejoined and streams");
        assertEquals(List.of("witness.standby-lost"), types(step(s, req("b", Op.PEER_LOST, 2, "a", null), 30_000)));
    }
}
