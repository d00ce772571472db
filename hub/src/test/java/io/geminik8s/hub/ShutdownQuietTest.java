package io.geminik8s.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The causes of the hub's log noise at start and stop, without a hub: periodic jobs stop at shutdown (a tick after
 * the database pool closed failed "Pool closed"), and the SQL client's per-connection gauges are not registered
 * again for every connection (Micrometer warned "This Gauge has been already registered").
 */
class ShutdownQuietTest {

    @Test
    void periodicJobsStopAtShutdownAndTheRunningOneIsAwaited() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            AtomicInteger started = new AtomicInteger();
            AtomicInteger finished = new AtomicInteger();
            Periodic.every(vertx, Duration.ofMillis(20), () -> {
                started.incrementAndGet();
                return Uni.createFrom().voidItem().onItem().delayIt().by(Duration.ofMillis(300))
                        .invoke(finished::incrementAndGet);
            });
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5))
                    .until(() -> started.get() > 0);
            assertEquals(1, started.get(), "one run in progress");
            Periodic.stopAll(Duration.ofSeconds(5));
            assertEquals(1, finished.get(), "the run in progress finished before stopAll returned");
            org.awaitility.Awaitility.await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(1))
                    .until(() -> started.get() == 1); // no run after stopAll, over ten of its periods

            AtomicInteger later = new AtomicInteger(); // a job started afterwards (an application started again) runs
            Periodic.every(vertx, Duration.ofMillis(20), () -> {
                later.incrementAndGet();
                return Uni.createFrom().voidItem();
            });
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5))
                    .until(() -> later.get() >= 2);
            assertTrue(later.get() >= 2);
            Periodic.stopAll(Duration.ofSeconds(1));
        } finally {
            vertx.closeAndAwait();
        }
    }

    @Test
    void theSqlClientsPerConnectionGaugesAreLeftOutItsCountersStay() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        registry.config().meterFilter(new SqlClientGauges().perConnectionGauges());
        Tags tags = Tags.of("clientName", "<default>", "clientType", "sql");
        for (int connection = 0; connection < 2; connection++) { // what the client does for every connection
            Gauge.builder("postgresql.queue.size", new AtomicLong(), AtomicLong::get).tags(tags).register(registry);
            Gauge.builder("postgresql.current", new AtomicLong(), AtomicLong::get).tags(tags).register(registry);
            Counter.builder("postgresql.completed").tags(tags).register(registry).increment();
        }
        assertNull(registry.find("postgresql.queue.size").gauge());
        assertNull(registry.find("postgresql.current").gauge());
        assertEquals(2.0, registry.get("postgresql.completed").counter().count(), "one counter for every connection");
        Gauge other = Gauge.builder("gk8s.broker.connections", () -> 1).register(registry);
        assertNotNull(registry.find("gk8s.broker.connections").gauge(), "other gauges are kept: " + other.getId());
    }
}
