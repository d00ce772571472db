package io.geminik8s.hub.pki;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The hub's fleet CA, opened (or, with {@code gk8s.pki.generate}, first made) from {@code gk8s.pki.dir}. */
@ApplicationScoped
public class PkiProducer {

    @Produces
    @Singleton
    FleetCa fleetCa(PkiConfig config) {
        return CaFiles.open(config.dir(), config.passphrase(), config.generate());
    }
}
