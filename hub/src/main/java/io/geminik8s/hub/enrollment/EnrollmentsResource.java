package io.geminik8s.hub.enrollment;

import io.geminik8s.hub.api.ApiProblem;
import io.geminik8s.hub.auth.Roles;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** The node certificates issued by enrollment (viewer). */
@Path("/api/v1/enrollments")
@Produces(MediaType.APPLICATION_JSON)
public class EnrollmentsResource {

    private final EnrollmentStore store;

    public EnrollmentsResource(EnrollmentStore store) {
        this.store = store;
    }

    @GET
    @RolesAllowed(Roles.VIEWER)
    @Operation(summary = "Issued node certificates, newest first (serial, site, node, validity, revocation, the hardware"
            + " identity the request presented)")
    public Uni<List<EnrollmentStore.Enrollment>> enrollments(@QueryParam("site") String site,
                                                             @QueryParam("limit") Integer limit,
                                                             @jakarta.ws.rs.core.Context
                                                             jakarta.ws.rs.core.SecurityContext caller) {
        int n = limit == null ? 500 : limit;
        if (n < 1 || n > 1000) {
            throw ApiProblem.badRequest("limit: between 1 and 1000");
        }
        return store.list(site, n).map(l -> l.stream().map(e -> e.withHardwareId(HardwareId.shown(e.hardwareId(),
                caller))).toList());
    }
}
