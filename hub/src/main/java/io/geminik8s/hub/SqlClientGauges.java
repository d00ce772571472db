package io.geminik8s.hub;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * The reactive PostgreSQL client makes Vert.x client metrics for every connection it opens, not once per pool, and
 * Quarkus' Micrometer binding registers two gauges for each ({@code postgresql.queue.size}, {@code postgresql.current},
 * tagged {@code clientType=sql}). From the second connection on, Micrometer ignores the registration and warned at
 * start ("This Gauge has been already registered"): the gauges showed the first connection only, never the pool. They
 * are left out; the client's counters and timers (one meter shared by every connection) stay.
 */
@Singleton
public class SqlClientGauges {

    @Produces
    @Singleton
    MeterFilter perConnectionGauges() {
        return MeterFilter.deny(id -> id.getType() == Meter.Type.GAUGE && "sql".equals(id.getTag("clientType"))
                && (id.getName().endsWith(".queue.size") || id.getName().endsWith(".current")));
    }
}
