package io.geminik8s.hub.enrollment;

import io.geminik8s.hub.api.ApiProblem;
import io.geminik8s.hub.auth.Roles;
import io.geminik8s.hub.pki.FleetCa;
import io.geminik8s.hub.pki.FleetCrl;
import io.geminik8s.hub.pki.Pem;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Provider;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * The fleet intermediate's CRL (viewer), for an external broker that checks revocation at the TLS handshake
 * (Mosquitto's {@code crlfile}): fetched by {@code gk8s pki crl --out FILE} from a timer (docs/security.md).
 */
@Path("/api/v1/pki/crl")
public class CrlResource {

    static final String PEM = "application/x-pem-file";

    private final Provider<FleetCa> ca;
    private final EnrollmentStore store;

    public CrlResource(Provider<FleetCa> ca, EnrollmentStore store) {
        this.ca = ca;
        this.store = store;
    }

    @GET
    @Produces(PEM)
    @RolesAllowed(Roles.VIEWER)
    @Operation(summary = "The fleet intermediate's CRL (PEM): every revoked certificate (nodes' and others') not yet"
            + " expired",
            description = "Signed by the intermediate, valid for 1 day (nextUpdate): fetch it more often than"
                    + " that; a broker holding an outdated CRL refuses every client. 503 when the hub has no CA.")
    public Uni<String> crl() {
        FleetCa fleet;
        try {
            fleet = ca.get();
        } catch (IllegalStateException noCa) {
            throw new ApiProblem(503, "Service unavailable", "the hub has no fleet CA: " + noCa.getMessage());
        }
        Instant now = Instant.now();
        return store.revokedUnexpired(now).map(revoked -> Pem.crl(fleet.crl(revoked, now)));
    }
}
