package io.geminik8s.hub.embedded;

import io.geminik8s.embedded.EmbeddedBroker;
import io.geminik8s.embedded.EmbeddedDatabase;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Stops the embedded broker first — no message can then arrive that the hub acknowledges but never writes — and the
 * database last, after the final flush (the 10,000-agent reconnect storm lost 16 events when the broker outlived
 * that flush).
 */
@ApplicationScoped
public class EmbeddedServices {

    private static final Logger LOG = Logger.getLogger(EmbeddedServices.class);
    private static volatile EmbeddedDatabase database;
    private static volatile EmbeddedBroker broker;

    static void use(EmbeddedDatabase db, EmbeddedBroker mqtt) {
        database = db;
        broker = mqtt;
    }

    void started(@Observes StartupEvent ev, @ConfigProperty(name = "quarkus.http.host") String host,
                 @ConfigProperty(name = "quarkus.http.port") int port, MeterRegistry registry) {
        EmbeddedBroker mqtt = broker;
        if (mqtt != null) {
            Gauge.builder("gk8s.broker.connections", mqtt, EmbeddedBroker::connections)
                    .description("Clients connected to the embedded broker").register(registry);
            Gauge.builder("gk8s.broker.connections.max", mqtt, EmbeddedBroker::maxConnections)
                    .description("Clients the embedded broker admits (-1: no limit); more are refused").register(registry);
            FunctionCounter.builder("gk8s.broker.refused", mqtt, EmbeddedBroker::refusedConnections)
                    .description("Clients refused at the connection limit").register(registry);
        }
        if (database != null) {
            LOG.infof("gk8s hub ready: open http://%s:%d/api/v1/sites (OpenAPI at /q/openapi, metrics at /q/metrics)",
                    host, port);
        }
    }

    void stopBroker(@Observes @Priority(5) ShutdownEvent ev) {
        if (broker != null) {
            broker.stop();
            broker = null;
        }
    }

    /**
     * Last: the hub's reactive pool closes before the server, which otherwise terminated its idle connections
     * ("FATAL: terminating connection due to administrator command") and refused reconnects ("the database system
     * is shutting down") while the application was still stopping. Quarkus closing the pool again later is a no-op.
     */
    void stopDatabase(@Observes @Priority(Integer.MAX_VALUE) ShutdownEvent ev, Pool pool) {
        if (database != null) {
            try {
                pool.closeAndAwait();
            } catch (RuntimeException e) {
                LOG.debugf("closing the database pool: %s", e.toString());
            }
            database.close();
            database = null;
        }
    }
}
