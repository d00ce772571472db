package io.geminik8s.hub.pki;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Files;

/**
 * The hub's fleet CA, opened (or, with {@code gk8s.pki.generate}, first made) from {@code gk8s.pki.dir}. Opened at
 * start when there is one (decrypting its key takes a moment that must not fall on a request); a hub without a CA
 * starts, and only enrollment answers 503.
 */
@ApplicationScoped
public class PkiProducer {

    @Produces
    @Singleton
    FleetCa fleetCa(PkiConfig config) {
        return CaFiles.open(config.dir(), config.passphrase(), config.generate());
    }

    void open(@Observes StartupEvent start, PkiConfig config, Instance<FleetCa> ca) {
        if (config.generate() || Files.exists(config.dir().resolve(CaFiles.KEY))) {
            ca.get();
        }
    }
}
