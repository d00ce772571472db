package io.geminik8s.hub.witness;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.geminik8s.hub.HubInfrastructure;
import io.geminik8s.protocol.WitnessReply.Outcome;
import io.geminik8s.protocol.WitnessRequest;
import io.geminik8s.protocol.WitnessRequest.Op;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The witness against real PostgreSQL: its clock, compare-and-set, and the one-grant-per-epoch table. */
@QuarkusTest
@WithTestResource(value = HubInfrastructure.class, scope = TestResourceScope.MATCHING_RESOURCES)
class WitnessStoreTest {

    @Inject
    WitnessStore store;
    @Inject
    Pool pool;

    private static WitnessRequest req(String site, String node, Op op, long epoch, String peer, Long silentMs) {
        return new WitnessRequest("1.0", "t", site, node, 0L, op, epoch, peer, silentMs);
    }

    private WitnessRules.Decision decide(WitnessRequest r) {
        return store.decide(r).await().atMost(Duration.ofSeconds(10));
    }

    private Map<Long, String> grants(String site) {
        var rows = pool.preparedQuery("SELECT epoch, holder FROM site_epoch_grant WHERE site_id = $1")
                .execute(Tuple.of(site)).await().atMost(Duration.ofSeconds(5));
        List<Row> list = new ArrayList<>();
        rows.forEach(list::add);
        return list.stream().collect(Collectors.toMap(r -> r.getLong("epoch"), r -> r.getString("holder")));
    }

    @Test
    void aStandbyIsPromotedOnlyAfterTheLeaseAndMarginOnTheDatabaseClock() {
        String site = "ws-flow";
        assertEquals(Outcome.GRANTED, decide(req(site, "a", Op.PROMOTE, 1, null, 0L)).outcome());
        assertEquals(Outcome.GRANTED, decide(req(site, "a", Op.PEER_OK, 1, "b", null)).outcome());
        long lastAck = System.nanoTime(); // b stops hearing a now
        WitnessRules.Decision first = decide(req(site, "b", Op.PROMOTE, 2, null, 0L));
        assertEquals(Outcome.WAIT, first.outcome());
        assertTrue(first.retryAfterMs() > 1800 && first.retryAfterMs() <= 2000, "lease 1500 + margin 500");
        AtomicReference<WitnessRules.Decision> last = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(50)).until(() -> {
            last.set(decide(req(site, "b", Op.PROMOTE, 2, null, (System.nanoTime() - lastAck) / 1_000_000)));
            return last.get().outcome() == Outcome.GRANTED;
        });
        long waited = (System.nanoTime() - lastAck) / 1_000_000;
        assertTrue(waited >= 2000, "granted after " + waited + " ms");
        LeaseState s = store.load(site).await().atMost(Duration.ofSeconds(5));
        assertEquals(2, s.epoch());
        assertEquals("b", s.holder());
        assertEquals(Map.of(1L, "a", 2L, "b"), grants(site));
        assertEquals(Outcome.REFUSED, decide(req(site, "a", Op.RENEW, 1, null, null)).outcome(),
                "the old holder's epoch is over");
    }

    @Test
    void concurrentRequestsNeverGrantAnEpochTwiceAndEpochsOnlyGrow() {
        for (int round = 0; round < 5; round++) {
            String site = "ws-race-" + round;
            decide(req(site, "a", Op.PROMOTE, 1, null, 0L));
            decide(req(site, "a", Op.PEER_OK, 1, "b", null));
            List<Uni<WitnessRules.Decision>> racing = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                racing.add(store.decide(req(site, "b", Op.PROMOTE, 2, null, 10_000L)));
                racing.add(store.decide(req(site, "a", Op.RENEW, 1, null, null)));
                racing.add(store.decide(req(site, "a", Op.PEER_OK, 1, "b", null)));
            }
            List<WitnessRules.Decision> decisions = Uni.join().all(racing).andCollectFailures()
                    .await().atMost(Duration.ofSeconds(30));
            Map<Long, String> grants = grants(site);
            LeaseState end = store.load(site).await().atMost(Duration.ofSeconds(5));
            assertTrue(grants.size() <= 2 && "a".equals(grants.get(1L)), grants.toString());
            if (grants.containsKey(2L)) {
                assertEquals("b", grants.get(2L));
                assertEquals(2, end.epoch());
            }
            for (WitnessRules.Decision d : decisions) {
                if (d.outcome() == Outcome.GRANTED && d.next() != null && "b".equals(d.next().holder())) {
                    assertEquals(2, d.next().epoch(), "every grant to b names the same epoch");
                }
            }
        }
    }
}
