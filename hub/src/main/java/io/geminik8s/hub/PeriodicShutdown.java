package io.geminik8s.hub;

import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * First at shutdown (priority 0; ingest leaves the broker at 1, the embedded broker stops at 5, the last flush at 10,
 * the embedded database last): the periodic jobs stop, and the one running finishes while its database is there.
 */
@ApplicationScoped
public class PeriodicShutdown {

    void stop(@Observes @Priority(0) ShutdownEvent ev, HubConfig config) {
        Periodic.stopAll(config.dbTimeout());
    }
}
